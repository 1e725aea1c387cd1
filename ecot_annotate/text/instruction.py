"""Read the parts of a manipulation instruction that reasoning and detection need.

Instructions in robot datasets are short imperative phrases ("put the carrot on the plate",
"flip pot upright which is in sink"). A small rule parser finds the verb, the object moved, where
it comes from and where it goes, and the noun phrases to prompt a detector with. It is
deliberately conservative: what it cannot tell it leaves empty rather than guesses. A task text
that does not start with a manipulation verb ("lingzu teleoperation", "demo", "Robot_arm_control")
names a dataset or a robot, not an act, and gives nothing at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Verbs an instruction starts with: the acts robot datasets record (Open X-Embodiment, LeRobot).
_VERBS = frozenset(
    re.findall(
        r"[a-z]+",
        """pick place put set lay move take bring carry transfer deliver hand give fetch get retrieve
    grab grasp grip hold lift raise lower drop release push pull press tap touch poke slide drag
    sweep wipe clean scrub brush flip turn rotate twist screw unscrew tilt roll open close shut
    fold unfold stack unstack insert remove plug unplug hang pour fill empty scoop stir shake
    squeeze pack unpack load unload store arrange sort stand knock topple cover uncover wrap
    unwrap throw toss return position align straighten flatten spread cut peel hit draw write
    erase point wave reach go approach""",
    )
)
# Verbs that put the object somewhere: with them "on the plate" is where it goes; with the others
# ("pick up the bottle on the table", "press the button on the wall") it is where the thing is.
_PLACING = frozenset(
    re.findall(
        r"[a-z]+",
        """place put set lay move bring carry transfer deliver hand give drop push pull slide drag
    sweep hang pour insert stack pack load store arrange stand return position throw toss""",
    )
)
# A word right after the verb that belongs to it: "pick up the cup", "knock over the bottle".
_PARTICLES = frozenset({"up", "down", "over", "off", "out", "away", "back", "upright", "aside"})
_TOWARD_PREPS = ("into", "onto", "to", "towards", "toward")  # always where the object goes
_AT_PREPS = ("on top of", "on", "in", "inside", "under", "next to", "near", "at")
_TARGET_PREPS = _TOWARD_PREPS + _AT_PREPS
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


@dataclass
class ParsedInstruction:
    text: str  # empty where the task names no act (a dataset's or a robot's name)
    verb: str = ""  # with its particle: "pick up", "press"
    obj: str = ""
    source: str = ""
    target: str = ""
    phrases: list[str] = field(default_factory=list)  # noun phrases, detector vocabulary


def _clean(phrase: str) -> str:
    words = [
        w for w in re.findall(r"[a-z0-9']+(?:-[a-z0-9']+)*", phrase.lower()) if w not in _FILLER
    ]
    return " ".join(words).strip()


def _base_verb(word: str) -> str | None:
    """The manipulation verb `word` is a form of ("picks", "picking", "placed", "dropping"), or
    None: task texts are written as commands, descriptions and episode titles alike."""
    if word in _VERBS:
        return word
    stems = []
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            stem = word[: -len(ending)]
            stems += [stem, stem + "e", stem[:-1] if stem[-1:] == stem[-2:-1] else stem]
    return next((stem for stem in stems if stem in _VERBS), None)


def parse_instruction(text: str) -> ParsedInstruction:
    """The verb, object, places and detector phrases of `text`; all empty for an empty task or one
    that does not start with a manipulation verb, such as "Robot_arm_control" or "lingzu
    teleoperation": it says nothing a chain can repeat as a step."""
    lowered = re.sub(r"\s+", " ", text.strip().lower().rstrip(".")).removeprefix("please ")
    first, _, rest = lowered.partition(" ")
    verb = _base_verb(first)
    if verb is None:
        return ParsedInstruction(text="")
    particle, _, after = rest.partition(" ")
    if particle in _PARTICLES and after:
        verb, rest = f"{verb} {particle}", after
    parsed = ParsedInstruction(text=lowered, verb=verb)
    pieces = _SPLIT.split(rest)
    parsed.obj = _clean(pieces[0])
    places: list[str] = []
    in_clause = False
    acting = verb.partition(" ")[0]  # the verb a place belongs to; "and put it" changes it
    for prep, phrase in zip(pieces[1::2], pieces[2::2], strict=False):
        in_clause = in_clause or prep in _CLAUSE
        said = _base_verb(phrase.strip().partition(" ")[0])
        if prep in _JOIN and said is not None:
            acting = said
        cleaned = _clean(re.sub(r"^\s*(?:is|are|place|put|move)\b", "", phrase))
        if not cleaned or prep in _CLAUSE or prep in _JOIN:
            continue
        goes = prep in _TOWARD_PREPS or (prep in _AT_PREPS and acting in _PLACING)
        if in_clause:
            places.append(cleaned)
        elif (prep in _SOURCE_PREPS or not goes) and not parsed.source:
            parsed.source = cleaned
        elif goes and not parsed.target:
            parsed.target = cleaned
    phrases: list[str] = []
    for phrase in (parsed.obj, parsed.source, parsed.target, *places):
        for part in re.split(r"\b(?:or|and)\b|,", phrase):
            part = part.strip()
            if part and part not in phrases:
                phrases.append(part)
    parsed.phrases = phrases
    return parsed
