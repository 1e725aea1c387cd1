"""One line of a run's corrections, typed: each kind of change is a dataclass, parsed and checked
once, here, from the JSON a file line or a request holds.

A line is a header (`time`, `reviewer`, `episode`, `config_hash`, optional `version`, `id` and
`conflict`) and exactly one change:

    {"verdict": "accept" | "reject", "reason": TEXT}            a reject needs a reason
    {"field": NAME, "steps": [FIRST, LAST], "value": TEXT}      NAME: one of REASONING_FIELDS
    {"subtask_start": STEP, "subtask": TEXT}
    {"box": {"step": S, "track": ID}, "action": "delete" | "relabel", "label": TEXT}

Anything else is refused: a key the kind does not have, a value of another type (a bool is not a
number), text that is empty where the chain needs it, longer than its bound, over more than one
line or not valid Unicode. The step span a change touches is decoded in one place (`touched`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ecot_annotate.episode import REASONING_FIELDS
from ecot_annotate.store.json_values import (
    NAME_LIMIT,
    TEXT_LIMIT,
    LineError,
    change_id,
    count,
    keys,
    one_of,
    text,
)

VERDICTS = ("accept", "reject")
BOX_ACTIONS = ("delete", "relabel")
HEADER = frozenset({"time", "reviewer", "episode", "config_hash", "version", "id", "conflict"})


@dataclass(frozen=True)
class StepSpan:
    """Steps FIRST to LAST, both included."""

    first: int
    last: int

    @classmethod
    def parse(cls, value: Any) -> StepSpan:
        if not (isinstance(value, list) and len(value) == 2):
            raise LineError("'steps' must be [first, last]")
        first, last = (count(v, "steps") for v in value)
        if first > last:
            raise LineError("'steps': the first step comes after the last")
        return cls(first, last)

    def overlaps(self, other: StepSpan) -> bool:
        return self.first <= other.last and other.first <= self.last

    def __iter__(self):
        return iter(range(self.first, self.last + 1))


@dataclass(frozen=True)
class Verdict:
    """The episode as a whole: accepted as the machine (and any edits) left it, or rejected."""

    KEYS: ClassVar[tuple[set[str], frozenset[str]]] = ({"verdict"}, frozenset({"reason"}))
    verdict: str
    reason: str = ""

    @classmethod
    def parse(cls, obj: dict[str, Any]) -> Verdict:
        verdict = one_of(obj["verdict"], "verdict", VERDICTS)
        reason = text(obj.get("reason", ""), "reason", empty=verdict != "reject")
        return cls(verdict, reason)

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "reason": self.reason}

    def touched(self) -> tuple[set[str], StepSpan | None]:
        return {"verdict"}, None

    def steps_named(self) -> list[int]:
        return []


@dataclass(frozen=True)
class FieldEdit:
    """One of the six text fields set over a span of steps."""

    KEYS: ClassVar[tuple[set[str], frozenset[str]]] = ({"field", "steps", "value"}, frozenset())
    field: str
    steps: StepSpan
    value: str

    @classmethod
    def parse(cls, obj: dict[str, Any]) -> FieldEdit:
        name = one_of(obj["field"], "field", REASONING_FIELDS)
        return cls(name, StepSpan.parse(obj["steps"]), text(obj["value"], "value", empty=False))

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "steps": [self.steps.first, self.steps.last], "value": self.value}  # fmt: skip

    def touched(self) -> tuple[set[str], StepSpan | None]:
        return {self.field}, self.steps

    def steps_named(self) -> list[int]:
        return [self.steps.first, self.steps.last]


@dataclass(frozen=True)
class SubtaskStart:
    """The step where a subtask starts (a boundary moved on the timeline)."""

    KEYS: ClassVar[tuple[set[str], frozenset[str]]] = ({"subtask_start", "subtask"}, frozenset())
    subtask_start: int
    subtask: str

    @classmethod
    def parse(cls, obj: dict[str, Any]) -> SubtaskStart:
        step = count(obj["subtask_start"], "subtask_start")
        return cls(step, text(obj["subtask"], "subtask", empty=False))

    def to_json(self) -> dict[str, Any]:
        return {"subtask_start": self.subtask_start, "subtask": self.subtask}

    def touched(self) -> tuple[set[str], StepSpan | None]:
        """A boundary move sets the subtask texts of steps it cannot name in advance."""
        return {"subtask", "subtask_reason"}, None

    def steps_named(self) -> list[int]:
        return [self.subtask_start]


@dataclass(frozen=True)
class BoxEdit:
    """One box of one step, named by its track id (its place in the step's list when untracked)."""

    KEYS: ClassVar[tuple[set[str], frozenset[str]]] = ({"box", "action"}, frozenset({"label"}))
    step: int
    track: int
    action: str
    label: str | None = None

    @classmethod
    def parse(cls, obj: dict[str, Any]) -> BoxEdit:
        box = obj["box"]
        if not isinstance(box, dict):
            raise LineError('\'box\' must be {"step": S, "track": ID}')
        keys(box, "'box'", {"step", "track"})
        action = one_of(obj["action"], "box action", BOX_ACTIONS)
        if action == "relabel":
            if "label" not in obj:
                raise LineError("a relabel needs 'label' text")
            label = text(obj["label"], "label", NAME_LIMIT, empty=False)
        elif "label" in obj:
            raise LineError("only a relabel carries a 'label'")
        else:
            label = None
        return cls(count(box["step"], "box step"), count(box["track"], "box track"), action, label)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"box": {"step": self.step, "track": self.track}, "action": self.action}  # fmt: skip
        if self.label is not None:
            out["label"] = self.label
        return out

    def touched(self) -> tuple[set[str], StepSpan | None]:
        return {f"box {self.track}"}, StepSpan(self.step, self.step)

    def steps_named(self) -> list[int]:
        return [self.step]


Change = Verdict | FieldEdit | SubtaskStart | BoxEdit
KINDS: dict[str, type[Change]] = {
    "verdict": Verdict,
    "field": FieldEdit,
    "subtask_start": SubtaskStart,
    "box": BoxEdit,
}


def change_kind(obj: dict[str, Any]) -> str:
    """The kind of change `obj` makes: exactly one kind's key must be present."""
    found = [name for name in KINDS if name in obj]
    if len(found) != 1:
        names = ", ".join(KINDS)
        raise LineError(
            f"a line makes exactly one change (one of {names}); this one names "
            + (", ".join(found) if found else "none")
        )
    return found[0]


def parse_change(obj: dict[str, Any], header: frozenset[str]) -> Change:
    """The change `obj` makes, where `header` are the other keys it may also carry."""
    name = change_kind(obj)
    kind = KINDS[name]
    required, optional = kind.KEYS
    keys(obj, f"a {name} line", required, optional | header)
    return kind.parse(obj)


@dataclass(frozen=True)
class Conflict:
    """The earlier line a conflicting change touches: who wrote it, when, at which version."""

    time: str
    reviewer: str
    version: int

    @classmethod
    def parse(cls, value: Any) -> Conflict:
        if not isinstance(value, dict):
            raise LineError('\'conflict\' must be {"time", "reviewer", "version"}')
        keys(value, "'conflict'", {"time", "reviewer", "version"})
        return cls(
            text(value["time"], "conflict time", NAME_LIMIT),
            text(value["reviewer"], "conflict reviewer", NAME_LIMIT),
            count(value["version"], "conflict version"),
        )


@dataclass(frozen=True)
class Line:
    """One corrections line: who changed which episode of which run, and the change."""

    episode: str
    config_hash: str
    change: Change
    time: str = ""
    reviewer: str = ""
    version: int | None = None  # how many lines the episode had when the change was made
    id: str | None = None  # made by the client, so a retried save is applied once
    conflict: Conflict | None = None

    @classmethod
    def parse(cls, obj: Any) -> Line:
        """A line as read from the file: the header checked, the change parsed by its kind."""
        if not isinstance(obj, dict):
            raise LineError("a line must be a JSON object")
        change = parse_change(obj, HEADER)
        for name in ("episode", "config_hash"):
            if name not in obj:
                raise LineError(f"a line needs '{name}'")
        return cls(
            episode=text(obj["episode"], "episode", TEXT_LIMIT, empty=False),
            config_hash=text(obj["config_hash"], "config_hash", NAME_LIMIT),
            change=change,
            time=text(obj.get("time", ""), "time", NAME_LIMIT),
            reviewer=text(obj.get("reviewer", ""), "reviewer", NAME_LIMIT),
            version=None if obj.get("version") is None else count(obj["version"], "version"),
            id=None if obj.get("id") is None else change_id(obj["id"]),
            conflict=None if obj.get("conflict") is None else Conflict.parse(obj["conflict"]),
        )

    def to_json(self) -> dict[str, Any]:
        """The line as the file holds it: the header, then the change."""
        out: dict[str, Any] = {"time": self.time, "reviewer": self.reviewer, "episode": self.episode}  # fmt: skip
        out["config_hash"] = self.config_hash
        if self.version is not None:
            out["version"] = self.version
        if self.id is not None:
            out["id"] = self.id
        out.update(self.change.to_json())
        if self.conflict is not None:
            out["conflict"] = {
                "time": self.conflict.time,
                "reviewer": self.conflict.reviewer,
                "version": self.conflict.version,
            }
        return out

    def conflicts_with(self, other: Line) -> bool:
        """Whether the two lines set the same thing on a common step."""
        (names_a, span_a), (names_b, span_b) = self.change.touched(), other.change.touched()
        if not names_a & names_b:
            return False
        return span_a is None or span_b is None or span_a.overlaps(span_b)
