"""One line of a run's corrections, typed: each kind of change is a dataclass, parsed and checked
once, here, from the JSON a file line or a request holds.

A line is a header (`time`, `reviewer`, `episode`, `config_hash`, optional `version`, `id` and
`conflict`) and exactly one change:

    {"verdict": "accept" | "reject", "reason": TEXT}            a reject needs a reason
    {"field": NAME, "steps": [FIRST, LAST], "value": TEXT}      NAME: one of REASONING_FIELDS
    {"subtask_start": STEP, "subtask": TEXT}
    {"box": {"step": S, "track": ID}, "action": "delete" | "relabel" | "resize", "label": TEXT,
     "xyxy": [X0, Y0, X1, Y1]}                                   label for relabel, xyxy for resize
    {"track": ID, "action": "delete" | "relabel", "label": TEXT}  every step's box of the track

Anything else is refused: a key the kind does not have, a value of another type (a bool is not a
number), text that is empty where the chain needs it, longer than its bound, over more than one
line or not valid Unicode. The step span a change touches is decoded in one place (store/correction_changes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecot_annotate.store.correction_changes import (
    BoxEdit,
    FieldEdit,
    SubtaskStart,
    TrackEdit,
    Verdict,
)
from ecot_annotate.store.json_values import (
    NAME_LIMIT,
    TEXT_LIMIT,
    LineError,
    change_id,
    count,
    keys,
    text,
)

HEADER = frozenset({"time", "reviewer", "episode", "config_hash", "version", "id", "conflict"})


Change = Verdict | FieldEdit | SubtaskStart | BoxEdit | TrackEdit
KINDS: dict[str, type[Change]] = {
    "verdict": Verdict,
    "field": FieldEdit,
    "subtask_start": SubtaskStart,
    "box": BoxEdit,
    "track": TrackEdit,
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
