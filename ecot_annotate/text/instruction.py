"""Read the parts of a manipulation instruction that reasoning and detection need.

Instructions in robot datasets are short imperative phrases ("put the carrot on the plate",
"flip pot upright which is in sink"). A small rule parser finds the verb, the object moved, where
it comes from and where it goes, and the noun phrases to prompt a detector with. It is
deliberately conservative: what it cannot tell it leaves empty rather than guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TARGET_PREPS = (
    "into",
    "onto",
    "on top of",
    "on",
    "in",
    "inside",
    "to",
    "towards",
    "toward",
    "under",
    "next to",
    "near",
    "at",
)
_SOURCE_PREPS = ("from", "off", "out of")
_CLAUSE = ("which", "that", "while")  # after these, places describe the object, not a goal
_JOIN = ("and then", "then", "and")  # joins a second action; its places still count
_FILLER = {
    "the",
    "a",
    "an",
    "some",
    "its",
    "it's",
    "of",
    "it",
    "side",
    "up",
    "down",
    "upright",
    "over",
    "away",
    "back",
    "left",
    "right",
    "front",
}
_SPLIT = re.compile(
    r"\b("
    + "|".join(
        re.escape(p)
        for p in sorted(_TARGET_PREPS + _SOURCE_PREPS + _CLAUSE + _JOIN, key=len, reverse=True)
    )
    + r")\b"
)


# A task written as an identifier ("Robot_arm_control", "pickCube"): a recorder's label, not a
# sentence; it names no verb or object to build on.
_LABEL = re.compile(r"^(?:[A-Za-z0-9]+_[A-Za-z0-9_]+|[a-z0-9]+(?:[A-Z][a-z0-9]*)+)$")


@dataclass
class ParsedInstruction:
    text: str
    verb: str = ""
    obj: str = ""
    source: str = ""
    target: str = ""
    phrases: list[str] = field(default_factory=list)  # noun phrases, detector vocabulary


def _clean(phrase: str) -> str:
    words = [w for w in re.findall(r"[a-z0-9']+", phrase.lower()) if w not in _FILLER]
    return " ".join(words).strip()


def parse_instruction(text: str) -> ParsedInstruction:
    """The verb, object, places and detector phrases of `text`; all empty for an empty task or a
    label such as "Robot_arm_control", which says nothing a chain can repeat as a step."""
    lowered = re.sub(r"\s+", " ", text.strip().lower().rstrip("."))
    if _LABEL.match(text.strip().rstrip(".")):
        return ParsedInstruction(text="")
    parsed = ParsedInstruction(text=lowered)
    if not lowered:
        return parsed
    verb, _, rest = lowered.partition(" ")
    parsed.verb = verb
    pieces = _SPLIT.split(rest)
    parsed.obj = _clean(pieces[0])
    places: list[str] = []
    in_clause = False
    for prep, phrase in zip(pieces[1::2], pieces[2::2], strict=False):
        in_clause = in_clause or prep in _CLAUSE
        cleaned = _clean(re.sub(r"^\s*(?:is|are|place|put|move)\b", "", phrase))
        if not cleaned or prep in _CLAUSE or prep in _JOIN:
            continue
        if in_clause:
            places.append(cleaned)
        elif prep in _SOURCE_PREPS and not parsed.source:
            parsed.source = cleaned
        elif prep in _TARGET_PREPS and not parsed.target:
            parsed.target = cleaned
    phrases: list[str] = []
    for phrase in (parsed.obj, parsed.source, parsed.target, *places):
        for part in re.split(r"\b(?:or|and)\b|,", phrase):
            part = part.strip()
            if part and part not in phrases:
                phrases.append(part)
    parsed.phrases = phrases
    return parsed
