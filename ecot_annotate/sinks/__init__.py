"""Sinks turn AnnotatedEpisodes into the files people train on."""
