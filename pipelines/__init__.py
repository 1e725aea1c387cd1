"""Beam pipelines: they fan episodes out, run the stages, and write the sinks; nothing more."""
