# Long file: the corrections format, its reading, appending with conflict checks and applying are one contract.
"""Corrections made by people: a layer over a finished run, never an edit of its outputs.

`OUT/review/corrections.jsonl` holds one JSON object per line, appended and never rewritten:
`time`, `reviewer`, `episode` (the key `show` prints), `config_hash` (of the run it was made on),
`version` (optional: how many lines the episode had when the change was made) and one of

    {"verdict": "accept" | "reject", "reason": TEXT}
    {"field": NAME, "steps": [FIRST, LAST], "value": TEXT}      NAME: one of REASONING_FIELDS
    {"subtask_start": STEP, "subtask": TEXT}
    {"box": {"step": S, "track": ID}, "action": "delete" | "relabel", "label": TEXT}

Lines apply in file order, so the latest line for a field wins. A line made against another
config hash is stale: listed, not applied (a rerun with other settings made other steps). A line
made on an older version of the episode that touches what a line since then changed is a
conflict: it is kept in the file (marked `conflict`), shown to the person, and not applied, so
the first person's change is never written over. Every reader of a run (show, stats, report,
export, train) reads the annotations through `Corrections.apply`.
"""

from __future__ import annotations

import copy
import dataclasses
import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ecot_annotate.episode import REASONING_FIELDS, Annotation
from ecot_annotate.errors import InputError
from ecot_annotate.store.manifest import Manifest

REVIEW = "review"
CORRECTIONS = f"{REVIEW}/corrections.jsonl"
VERDICTS = ("accept", "reject")
BOX_ACTIONS = ("delete", "relabel")


def corrections_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / CORRECTIONS


def line_kind(line: dict[str, Any]) -> str:
    """verdict, field, subtask_start or box: what the line changes."""
    for kind in ("verdict", "field", "subtask_start", "box"):
        if kind in line:
            return kind
    raise ValueError(
        "the line names no change (one of verdict, field, subtask_start, box is needed)"
    )


def check_line(line: Any) -> None:
    """Raise ValueError saying what is wrong with one corrections line."""
    if not isinstance(line, dict):
        raise ValueError("a line must be a JSON object")
    for name in ("episode", "config_hash"):
        if not isinstance(line.get(name), str):
            raise ValueError(f"'{name}' must be text")
    kind = line_kind(line)
    if kind == "verdict" and line["verdict"] not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}")
    if kind == "field":
        if line["field"] not in REASONING_FIELDS:
            raise ValueError(f"field must be one of {', '.join(REASONING_FIELDS)}")
        steps = line.get("steps")
        if not (
            isinstance(steps, list) and len(steps) == 2 and all(isinstance(s, int) for s in steps)
        ):
            raise ValueError("'steps' must be [first, last]")
        if not isinstance(line.get("value"), str):
            raise ValueError("'value' must be text")
    if kind == "subtask_start" and not (
        isinstance(line["subtask_start"], int) and isinstance(line.get("subtask"), str)
    ):
        raise ValueError("'subtask_start' must be a step and 'subtask' text")
    if kind == "box":
        box = line["box"]
        if not (isinstance(box, dict) and isinstance(box.get("step"), int) and "track" in box):
            raise ValueError('\'box\' must be {"step": S, "track": ID}')
        if line.get("action") not in BOX_ACTIONS:
            raise ValueError(f"box action must be one of {', '.join(BOX_ACTIONS)}")
        if line["action"] == "relabel" and not isinstance(line.get("label"), str):
            raise ValueError("a relabel needs 'label' text")


def touches(line: dict[str, Any]) -> tuple[set[str], set[int] | None]:
    """What a line changes: the names of what it sets, and its steps (None: the whole episode).
    A boundary move sets the subtask texts of steps it cannot name in advance."""
    kind = line_kind(line)
    if kind == "verdict":
        return {"verdict"}, None
    if kind == "field":
        first, last = line["steps"]
        return {line["field"]}, set(range(first, last + 1))
    if kind == "subtask_start":
        return {"subtask", "subtask_reason"}, None
    return {f"box {line['box']['track']}"}, {line["box"]["step"]}


def conflicting(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two lines set the same thing on a common step."""
    (names_a, steps_a), (names_b, steps_b) = touches(a), touches(b)
    if not names_a & names_b:
        return False
    return steps_a is None or steps_b is None or bool(steps_a & steps_b)


@dataclass
class EpisodeReview:
    """One episode's lines, split into those that apply, stale ones and conflicts."""

    key: str
    lines: list[dict[str, Any]] = field(default_factory=list)  # every line, in file order
    applied: list[dict[str, Any]] = field(default_factory=list)
    stale: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def version(self) -> int:
        return len(self.lines)

    @property
    def verdict(self) -> dict[str, Any] | None:
        verdicts = [line for line in self.applied if "verdict" in line]
        return verdicts[-1] if verdicts else None

    @property
    def rejected(self) -> bool:
        verdict = self.verdict
        return verdict is not None and verdict["verdict"] == "reject"

    @property
    def edits(self) -> list[dict[str, Any]]:
        return [line for line in self.applied if "verdict" not in line]

    @property
    def status(self) -> str:
        """unreviewed, rejected, corrected (edits applied) or accepted (as the machine wrote it)."""
        if self.rejected:
            return "rejected"
        if self.edits:
            return "corrected"
        return "accepted" if self.verdict is not None else "unreviewed"


class Corrections:
    """The corrections of one run, split per episode against the run's config hash."""

    def __init__(self, lines: list[dict[str, Any]], config_hash: str):
        self.config_hash = config_hash
        self.episodes: dict[str, EpisodeReview] = {}
        for line in lines:
            review = self.episodes.setdefault(line["episode"], EpisodeReview(line["episode"]))
            review.lines.append(line)
            if line["config_hash"] != config_hash:
                review.stale.append(line)
            elif line.get("conflict"):
                review.conflicts.append(line)
            else:
                review.applied.append(line)

    @classmethod
    def load(cls, run_dir: str | Path, config_hash: str | None = None) -> Corrections:
        """The run's corrections (none when it has no review folder)."""
        if config_hash is None:
            config_hash = run_config_hash(run_dir)
        return cls(read_lines(corrections_path(run_dir)), config_hash)

    def review(self, key: str) -> EpisodeReview:
        return self.episodes.get(key) or EpisodeReview(key)

    @property
    def rejected(self) -> set[str]:
        return {k for k, r in self.episodes.items() if r.rejected}

    @property
    def edited(self) -> set[str]:
        return {k for k, r in self.episodes.items() if r.edits and not r.rejected}

    @property
    def stale(self) -> list[dict[str, Any]]:
        return [line for r in self.episodes.values() for line in r.stale]

    def counts(self) -> dict[str, int]:
        """Episodes reviewed, accepted unchanged, corrected and rejected; stale and conflicting lines."""
        statuses = [r.status for r in self.episodes.values()]
        return {
            "reviewed": sum(s != "unreviewed" for s in statuses),
            "accepted": statuses.count("accepted"),
            "corrected": statuses.count("corrected"),
            "rejected": statuses.count("rejected"),
            "stale_lines": len(self.stale),
            "conflicts": sum(len(r.conflicts) for r in self.episodes.values()),
        }

    def apply(
        self, key: str, annotation: Annotation, keep_rejected: bool = False
    ) -> Annotation | None:
        """The annotation with this episode's corrections applied; None when it was rejected
        (unless `keep_rejected`: the review page still shows a rejected episode)."""
        review = self.review(key)
        if review.rejected and not keep_rejected:
            return None
        if not review.edits:
            return annotation
        corrected = copy.deepcopy(annotation)
        for line in review.edits:
            apply_line(corrected, line)
        return corrected


def run_config_hash(run_dir: str | Path) -> str:
    """The config hash of the run in `run_dir` (its manifest's run.json), '' when it has none."""
    info = Manifest(str(run_dir)).run_info()
    return "" if info is None else info.get("config_hash", "")


def read_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a corrections file, checked; a bad line is an error naming it."""
    if not path.is_file():
        return []
    lines = []
    for number, text in enumerate(path.read_text().splitlines(), 1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
            check_line(line)
        except ValueError as exc:
            raise InputError(f"{path}:{number}: not a corrections line: {exc}") from None
        lines.append(line)
    return lines


def _in_range(step: int, n_steps: int, line: dict[str, Any]) -> int:
    if not 0 <= step < n_steps:
        raise InputError(
            f"correction of episode {line['episode']!r} names step {step}, "
            f"but the episode has {n_steps} steps (0-{n_steps - 1})"
        )
    return step


def apply_line(ann: Annotation, line: dict[str, Any]) -> None:
    """Change `ann` in place as one checked, current line says."""
    n_steps = ann.n_steps
    kind = line_kind(line)
    if kind == "field":
        first, last = (_in_range(s, n_steps, line) for s in line["steps"])
        for t in range(first, last + 1):
            ann.reasoning[t] = dataclasses.replace(
                ann.reasoning[t], **{line["field"]: line["value"]}
            )
            if line["field"] == "move":
                ann.set_move(t, line["value"])
    elif kind == "subtask_start":
        _move_subtask_start(ann, _in_range(line["subtask_start"], n_steps, line), line["subtask"])
    elif kind == "box":
        step = _in_range(line["box"]["step"], n_steps, line)
        if ann.bboxes is None:
            return
        track = line["box"]["track"]
        kept = []
        for index, box in enumerate(ann.bboxes[step]):
            if (box.track if box.track is not None else index) != track:
                kept.append(box)
            elif line["action"] == "relabel":
                kept.append(dataclasses.replace(box, label=line["label"]))
        ann.bboxes[step] = kept


def subtask_segments(subtasks: list[str]) -> list[tuple[int, int, str]]:
    """(first, last, text) of each run of steps with the same subtask, in step order."""
    segments: list[tuple[int, int, str]] = []
    for t, text in enumerate(subtasks):
        if segments and segments[-1][2] == text:
            segments[-1] = (segments[-1][0], t, text)
        else:
            segments.append((t, t, text))
    return segments


def _move_subtask_start(ann: Annotation, step: int, subtask: str) -> None:
    """Subtask `subtask` starts at `step`: its segment grows back to it, or the one before grows
    up to it; a subtask the episode does not name starts a new segment there."""
    subtasks = [r.subtask for r in ann.reasoning]
    segments = subtask_segments(subtasks)
    found = [i for i, seg in enumerate(segments) if seg[2] == subtask]
    if not found:
        _, last, _ = next(seg for seg in segments if seg[0] <= step <= seg[1])
        for t in range(step, last + 1):
            ann.reasoning[t] = dataclasses.replace(ann.reasoning[t], subtask=subtask)
        return
    index = min(found, key=lambda i: abs(segments[i][0] - step))
    first, last, _ = segments[index]
    if step < first:
        source = ann.reasoning[first]
        span = range(step, first)
    elif step > first and index > 0:
        source = ann.reasoning[first - 1]
        span = range(first, min(step, last + 1))
    else:
        return
    for t in span:
        ann.reasoning[t] = dataclasses.replace(
            ann.reasoning[t], subtask=source.subtask, subtask_reason=source.subtask_reason
        )


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Only one writer appends at a time, so a version check and its append are one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / ".corrections.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def append(run_dir: str | Path, change: dict[str, Any]) -> dict[str, Any]:
    """Append one change and return the line written.

    The change carries `episode`, `reviewer`, `config_hash` and `version` (the episode's version
    the person saw). When a line written since that version touches the same thing, the change
    is still written, marked `conflict` with that line, and not applied.
    """
    path = corrections_path(run_dir)
    line = {"time": now(), **change}
    check_line(line)
    with _locked(path):
        existing = [ln for ln in read_lines(path) if ln["episode"] == line["episode"]]
        since = existing[line["version"] :] if isinstance(line.get("version"), int) else []
        first = next(
            (
                ln
                for ln in since
                if not ln.get("conflict")
                and ln["config_hash"] == line["config_hash"]
                and conflicting(line, ln)
            ),
            None,
        )
        if first is not None:
            line["conflict"] = {
                "time": first.get("time", ""),
                "reviewer": first.get("reviewer", ""),
                "version": existing.index(first),
            }
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return line
