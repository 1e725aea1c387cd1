"""Instruction text: parsing into verb/object/places, detector vocabularies, and the ECoT chain text."""
