"""Reasoners write the six ECoT text fields for every step of an episode."""
