"""The object vocabulary a detector is prompted with for one episode.

ECoT prompted Grounding DINO with words from the instruction and a scene caption. The instruction's
noun phrases come from `parse_instruction`; a caption ("a red block and a blue bowl on a wooden
table") is cut at punctuation, conjunctions, prepositions and verbs, and each piece loses its
articles and filler words. The gripper's own prompt is left out: the perception stage adds it.
"""

from __future__ import annotations

import re

from ecot_annotate.text.instruction import parse_instruction

MAX_PHRASES = 16  # a Grounding DINO prompt holds 256 tokens; a long caption must not crowd it
MAX_WORDS = 3
_BREAK = re.compile(
    r"[.,;:!?()]|\b(?:and|or|with|on|in|into|onto|at|of|to|from|by|near|next|beside|under|over|behind|above|below|"
    r"inside|top|is|are|was|were|has|have|there|here|which|that|while|sits|sitting|lies|lying|placed|shows|showing|"
    r"contains|containing|holds|holding|appears|seen|image|picture|photo|scene)\b"
)
_DROP = {
    "a",
    "an",
    "the",
    "some",
    "its",
    "their",
    "this",
    "these",
    "those",
    "it",
    "several",
    "two",
    "three",
    "few",
    "other",
    "left",
    "right",
    "front",
    "back",
    "side",
    "robot",
    "arm",
    "gripper",
}


def caption_phrases(caption: str) -> list[str]:
    """Short noun-like phrases of a scene caption, in order, without duplicates."""
    phrases: list[str] = []
    for piece in _BREAK.split(caption.lower()):
        words = [w for w in re.findall(r"[a-z0-9']+", piece) if w not in _DROP]
        if words and len(words) <= MAX_WORDS and " ".join(words) not in phrases:
            phrases.append(" ".join(words))
    return phrases


def object_vocabulary(instruction: str, caption: str | None = None, exclude: str = "") -> list[str]:
    """Instruction phrases first (they name what the task is about), then the caption's."""
    vocabulary: list[str] = []
    for phrase in [*parse_instruction(instruction).phrases, *caption_phrases(caption or "")]:
        phrase = phrase.replace(".", " ").strip()
        if phrase and phrase != exclude.strip().lower() and phrase not in vocabulary:
            vocabulary.append(phrase)
    return vocabulary[:MAX_PHRASES]
