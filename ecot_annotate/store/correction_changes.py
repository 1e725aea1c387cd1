"""The changes a corrections line can make, one dataclass per kind, each parsing its own fields
(store/correction_lines.py picks the kind and checks the header). `touched` says what a change
sets and on which steps, `steps_named` which steps must lie in the episode: the step span of a
change is decoded here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ecot_annotate.episode import REASONING_FIELDS
from ecot_annotate.store.json_values import (
    NAME_LIMIT,
    LineError,
    corners,
    count,
    keys,
    one_of,
    text,
)

VERDICTS = ("accept", "reject")
BOX_ACTIONS = ("delete", "relabel", "resize")
TRACK_ACTIONS = ("delete", "relabel")


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


def _label(obj: dict[str, Any], action: str) -> str | None:
    """A relabel's new label; no other action carries one."""
    if action == "relabel":
        if "label" not in obj:
            raise LineError("a relabel needs 'label' text")
        return text(obj["label"], "label", NAME_LIMIT, empty=False)
    if "label" in obj:
        raise LineError("only a relabel carries a 'label'")
    return None


@dataclass(frozen=True)
class BoxEdit:
    """One box of one step, named by its track id (its place in the step's list when untracked):
    deleted, relabelled, or resized to the corners `xyxy` (pixels of the frame)."""

    KEYS: ClassVar[tuple[set[str], frozenset[str]]] = ({"box", "action"}, frozenset({"label", "xyxy"}))  # fmt: skip
    step: int
    track: int
    action: str
    label: str | None = None
    xyxy: tuple[float, float, float, float] | None = None

    @classmethod
    def parse(cls, obj: dict[str, Any]) -> BoxEdit:
        box = obj["box"]
        if not isinstance(box, dict):
            raise LineError('\'box\' must be {"step": S, "track": ID}')
        keys(box, "'box'", {"step", "track"})
        action = one_of(obj["action"], "box action", BOX_ACTIONS)
        if (action == "resize") != ("xyxy" in obj):
            raise LineError("a resize, and only a resize, carries 'xyxy': [x0, y0, x1, y1]")
        xyxy = corners(obj["xyxy"]) if action == "resize" else None
        step, track = count(box["step"], "box step"), count(box["track"], "box track")
        return cls(step, track, action, _label(obj, action), xyxy)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"box": {"step": self.step, "track": self.track}, "action": self.action}  # fmt: skip
        if self.label is not None:
            out["label"] = self.label
        if self.xyxy is not None:
            out["xyxy"] = list(self.xyxy)
        return out

    def touched(self) -> tuple[set[str], StepSpan | None]:
        return {f"box {self.track}"}, StepSpan(self.step, self.step)

    def steps_named(self) -> list[int]:
        return [self.step]


@dataclass(frozen=True)
class TrackEdit:
    """Every box of one track, at every step: deleted or relabelled in one change."""

    KEYS: ClassVar[tuple[set[str], frozenset[str]]] = ({"track", "action"}, frozenset({"label"}))
    track: int
    action: str
    label: str | None = None

    @classmethod
    def parse(cls, obj: dict[str, Any]) -> TrackEdit:
        action = one_of(obj["action"], "track action", TRACK_ACTIONS)
        return cls(count(obj["track"], "track"), action, _label(obj, action))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"track": self.track, "action": self.action}
        if self.label is not None:
            out["label"] = self.label
        return out

    def touched(self) -> tuple[set[str], StepSpan | None]:
        return {f"box {self.track}"}, None

    def steps_named(self) -> list[int]:
        return []
