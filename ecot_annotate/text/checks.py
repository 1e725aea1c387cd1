# Long file: every text check with the word lists and patterns they share, so a check reads beside its words.
"""Check every text of a reasoning chain against its episode, whoever wrote it.

A schema-valid text can still be useless to a VLA: a subtask that is only move names, a reason
that repeats the instruction, a move reason that names a direction the move does not have. Each
check here takes one text and what the episode says (instruction, caption, detections, the
step's move) and returns None when the text passes or a short reason when it fails. The reason
is a plain sentence: it goes back to the model in the repair round and into the run's counts.

The checks are rules on words, deliberately lenient: a text fails only on evidence (a move word
the move lacks, a named thing nothing in the episode mentions), so the rule reasoner's text passes
every check and a good model's text seldom trips one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ecot_annotate.geometry.motion import primitive_words
from ecot_annotate.text.instruction import ParsedInstruction, parse_instruction
from ecot_annotate.text.vocabulary import caption_phrases

FIELDS = ("task", "plan", "subtask", "subtask_reason", "move_reason")

MOVE_WORDS = primitive_words()
_VERBS_OF_MOVES = frozenset({"move", "stop", "open", "close"})  # also plain English verbs
DIRECTIONS = MOVE_WORDS - _VERBS_OF_MOVES - {"gripper"}  # left, up, clockwise, tilt, rotate...
_JOINERS = frozenset({"the", "a", "and", "then", "to", "it", "its", "slightly", "bit"})
_GRIPPER_ACT = re.compile(
    r"\b(open|opens|opening|opened|close|closes|closing|closed)\s+(?:the\s+|its\s+)?gripper\b"
    r"|\bgripper\s+(opens|closes)\b"
)
_STILL = re.compile(r"\b(?:paus(?:e|es|ed|ing)|(?:holds?|stays?|stands?|keeps?) still)\b")
_ARTICLES = frozenset({"the", "a", "an"})
_NOT_AN_END = frozenset(
    re.findall(
        r"[a-z]+",
        """the a an is are was were be must will can should so to of and or but that which with
    for by from its their""",
    )
)
# Phrases whose direction word says nothing about the move: "pick up the cup", "set it down".
_IDIOMS = re.compile(
    r"\b(?:pick(?:s|ed|ing)?|set(?:s|ting)?|put(?:s|ting)?|lay(?:s|ing)?)\s+(?:\w+\s+)?(?:up|down)\b"
)
_PARENTHESES = re.compile(r"\([^)]*\)")
_REPEAT_WORDS = 5  # a run of this many words said twice is a loop, not style
_ARTICLE = re.compile(r"\b(?:the|a|an)\s+((?:[a-z][a-z'-]*\s*){1,3})")
_PHRASE_END = frozenset(
    re.findall(
        r"[a-z]+",
        """is are was be been being must will can should so to of in on into onto at from by for with
    over under near toward towards before after while where which that and or then it its as than
    up down left right forward backward closer""",
    )
)
# Nouns a reason may use that name no object in the scene.
_GENERIC_NOUNS = frozenset(
    re.findall(
        r"[a-z]+",
        """gripper arm robot hand claw fingers task instruction moment spot object item thing motion
    move movement step way goal target place position location end start beginning next first last
    same top bottom side middle center centre table surface scene camera view image other rest area
    part direction height angle distance time grasp grip hold""",
    )
)


@dataclass(frozen=True)
class EpisodeWords:
    """What the checks know of one episode: its instruction and every word that names a thing in it."""

    instruction: str
    parsed: ParsedInstruction
    known: frozenset[str] = field(default_factory=frozenset)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _stem(word: str) -> str:
    """A crude singular, so that "cups" names a "cup", "dishes" a "dish" and "berries" a "berry"."""
    word = word.removesuffix("'s")
    if len(word) < 4 or not word.endswith("s") or word.endswith("ss"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("shes", "ches", "xes", "sses")):
        return word[:-2]
    return word[:-1]


def episode_words(
    instruction: str, caption: str | None = None, labels: Iterable[str] = ()
) -> EpisodeWords:
    """The episode's vocabulary: the instruction's words, the caption's phrases, detection labels."""
    sources = [instruction, *caption_phrases(caption or ""), *labels]
    known = frozenset(_stem(w) for text in sources for w in _words(text))
    return EpisodeWords(instruction, parse_instruction(instruction), known)


def _normal(text: str) -> str:
    return " ".join(_words(text))


def check_only_moves(text: str) -> str | None:
    """Fails a text made of move names alone ("stop, tilt down, stop", "close gripper")."""
    words = _words(text)
    if words and all(w in MOVE_WORDS or w in _JOINERS for w in words):
        return "is only move names; say what the robot does to which object, and why"
    return None


def check_not_instruction(text: str, episode: EpisodeWords) -> str | None:
    """Fails the instruction repeated word for word, alone or inside a sentence ("The task is to
    flip the pot upright which is in the sink."), where the instruction names an object to split
    the task around (with none, the rule reasoner's single subtask is the instruction)."""
    if not episode.parsed.obj:
        return None
    said, instruction = _content(text), _content(episode.instruction)
    if instruction and f" {instruction} " in f" {said} ":
        return "repeats the instruction word for word; say which part of it this is"
    return None


def _content(text: str) -> str:
    return " ".join(w for w in _words(text) if w not in _ARTICLES)


def _claimed_moves(reason: str, episode: EpisodeWords) -> set[str]:
    """Move words a reason says the gripper does, leaving out words the instruction itself holds."""
    text = _IDIOMS.sub(" ", reason.lower())
    claimed = {
        "open" if (m.group(1) or m.group(2)).startswith("open") else "close"
        for m in _GRIPPER_ACT.finditer(text)
    }
    text = _GRIPPER_ACT.sub(" ", text)
    if _STILL.search(text):
        claimed.add("stop")
    instruction = set(_words(episode.instruction))
    claimed.update(w for w in _words(text) if w in DIRECTIONS and w not in instruction)
    return claimed


def check_move_reason(reason: str, move: str, episode: EpisodeWords) -> str | None:
    """Fails a move reason that names a direction, turn or gripper action its move does not have."""
    wrong = sorted(_claimed_moves(reason, episode) - set(_words(move)))
    if wrong:
        return f"names {', '.join(wrong)} but the move is '{move}'"
    return None


def check_subtask_object(subtask: str, episode: EpisodeWords) -> str | None:
    """Fails a subtask that names nothing the instruction acts on, when the instruction names something."""
    places = episode.parsed.phrases
    wanted = {_stem(w) for phrase in places for w in _words(phrase)}
    if not wanted:
        return None
    said = {_stem(w) for w in _words(subtask)}
    if said & (wanted | {"gripper", "arm"}):
        return None
    return f"names none of: {', '.join(places)}"


def check_plan_order(plan: str, subtasks: Sequence[str]) -> str | None:
    """Fails a plan that does not list the subtasks from the current one on, in their order."""
    text, at = _normal(plan), 0
    for subtask in subtasks:
        found = text.find(_normal(subtask), at)
        if found < 0:
            return f"does not list the subtask '{subtask}' after the ones before it"
        at = found + len(_normal(subtask))
    return None


def check_known_objects(text: str, episode: EpisodeWords) -> str | None:
    """Fails a text that names a thing ("the banana") no instruction, caption or detection mentions."""
    unknown = []
    for match in _ARTICLE.finditer(text.lower()):
        phrase = []
        for word in match.group(1).split():
            if word in _PHRASE_END:
                break
            phrase.append(_stem(word.strip("'-")))
        if phrase and not any(w in episode.known or w in _GENERIC_NOUNS for w in phrase):
            unknown.append(" ".join(phrase))
    if unknown:
        return f"names {', '.join(dict.fromkeys(unknown))}, which the episode does not show"
    return None


def check_no_repeats(text: str) -> str | None:
    """Fails a text that says the same run of words twice, as a small model's decoding loops do
    ("The next step is to move the pot to the next stage. The next step is to move the pot...").
    Moves named in parentheses (two arms, each named) are left out: arms may move alike."""
    words = _words(_PARENTHESES.sub(" ", text))
    runs = [tuple(words[i : i + _REPEAT_WORDS]) for i in range(len(words) - _REPEAT_WORDS + 1)]
    if len(set(runs)) < len(runs):
        return "says the same words twice; write one sentence once"
    return None


def check_finished(text: str) -> str | None:
    """Fails a text that stops mid-sentence, on a word no sentence ends with ("The move is",
    "... the task must be done in a"): a small model's answer cut off or trailing away."""
    words = _words(text)
    if words and words[-1] in _NOT_AN_END:
        return "stops mid-sentence; write the whole sentence"
    return None


@dataclass(frozen=True)
class FieldText:
    """One field's text and what a check may compare it with."""

    text: str
    episode: EpisodeWords
    move: str = ""  # the step's move (for a move reason)
    subtasks: tuple[str, ...] = ()  # the subtasks from this step on, in order (for a plan)


@dataclass(frozen=True)
class TextCheck:
    name: str  # counted in the run's summary and named to the model in the repair round
    fields: frozenset[str]  # the chain fields it applies to
    check: Callable[[FieldText], str | None]  # None when the text passes, else why it fails


_REASONS = frozenset({"subtask_reason", "move_reason"})
# The one table of checks: adding a check is one entry here.
TEXT_CHECKS = (
    TextCheck("only_moves", frozenset(FIELDS), lambda f: check_only_moves(f.text)),
    TextCheck(
        "repeats_instruction",
        frozenset({"plan", "subtask", *_REASONS}),
        lambda f: check_not_instruction(f.text, f.episode),
    ),
    TextCheck(
        "move_reason_disagrees",
        frozenset({"move_reason"}),
        lambda f: check_move_reason(f.text, f.move, f.episode),
    ),
    TextCheck(
        "subtask_without_object",
        frozenset({"subtask"}),
        lambda f: check_subtask_object(f.text, f.episode),
    ),
    TextCheck(
        "plan_out_of_order", frozenset({"plan"}), lambda f: check_plan_order(f.text, f.subtasks)
    ),
    TextCheck(
        "unknown_object", frozenset(FIELDS), lambda f: check_known_objects(f.text, f.episode)
    ),
    TextCheck(
        "repeats_itself",
        frozenset({"task", "subtask", *_REASONS}),
        lambda f: check_no_repeats(f.text),
    ),
    TextCheck(
        "unfinished", frozenset({"task", "subtask", *_REASONS}), lambda f: check_finished(f.text)
    ),
)
CHECKS = tuple(c.name for c in TEXT_CHECKS)


def field_failures(
    name: str,
    text: str,
    episode: EpisodeWords,
    move: str = "",
    subtasks: list[str] | None = None,
) -> dict[str, str]:
    """Check -> reason for every check one field fails (empty when it passes them all).

    `move` is the step's move (for a move reason); `subtasks` the subtasks from this step on, in
    order (for a plan).
    """
    field_text = FieldText(text, episode, move, tuple(subtasks or ()))
    failed = {c.name: c.check(field_text) for c in TEXT_CHECKS if name in c.fields}
    return {check: reason for check, reason in failed.items() if reason}


@dataclass
class ChainTally:
    """How many fields of a run were checked and which checks they failed."""

    fields: int = 0
    failing: int = 0
    by_check: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHECKS, 0))

    def add(self, other: ChainTally) -> None:
        self.fields += other.fields
        self.failing += other.failing
        for check, count in other.by_check.items():
            self.by_check[check] = self.by_check.get(check, 0) + count

    def as_dict(self) -> dict[str, object]:
        return {"fields": self.fields, "failing": self.failing, "by_check": dict(self.by_check)}


def chain_fields(steps: list[dict[str, str]]) -> list[tuple[int, str]]:
    """(step, field) of each distinct text of an episode: the task once, and the plan, subtask and
    reasons once per run of steps that share them all (one LLM item, or one rule phase's move)."""
    fields = [(0, "task")] if steps else []
    keys = ("move", "plan", "subtask", "subtask_reason", "move_reason")
    for t, step in enumerate(steps):
        if t == 0 or any(step.get(k) != steps[t - 1].get(k) for k in keys):
            fields.extend((t, name) for name in FIELDS[1:])
    return fields


def later_subtasks(steps: list[dict[str, str]], t: int) -> list[str]:
    """The subtasks from step t on, each once per stretch, in order: what the plan must list."""
    found: list[str] = []
    for step in steps[t:]:
        if not found or step["subtask"] != found[-1]:
            found.append(step["subtask"])
    return found


def step_failures(
    steps: list[dict[str, str]], t: int, episode: EpisodeWords
) -> dict[str, dict[str, str]]:
    """Field -> (check -> reason) for the texts of step t that fail a check (empty: all pass)."""
    found = {
        name: field_failures(
            name,
            steps[t][name],
            episode,
            move=steps[t].get("move", ""),
            subtasks=later_subtasks(steps, t) if name == "plan" else None,
        )
        for name in FIELDS
    }
    return {name: failed for name, failed in found.items() if failed}


def check_chain(steps: list[dict[str, str]], episode: EpisodeWords) -> ChainTally:
    """Check every distinct text of one episode's chain (steps: the six fields per step)."""
    tally = ChainTally()
    for t, name in chain_fields(steps):
        failed = field_failures(
            name,
            steps[t][name],
            episode,
            move=steps[t].get("move", ""),
            subtasks=later_subtasks(steps, t) if name == "plan" else None,
        )
        tally.fields += 1
        tally.failing += bool(failed)
        for check in failed:
            tally.by_check[check] += 1
    return tally
