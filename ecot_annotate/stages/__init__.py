"""Stages: small functions or classes over the Episode model, each testable without Beam."""
