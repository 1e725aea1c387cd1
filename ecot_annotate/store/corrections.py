"""Corrections made by people: a layer over a finished run, never an edit of its outputs.

`OUT/review/corrections.jsonl` holds one JSON object per line, appended and never rewritten (but
for the repair of a torn line, see store/corrections_file.py). The kinds of line and what each may
hold are in store/correction_lines.py.

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
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ecot_annotate.episode import Annotation, Box
from ecot_annotate.errors import InputError
from ecot_annotate.store.correction_changes import (
    BoxEdit,
    FieldEdit,
    SubtaskStart,
    TrackEdit,
    Verdict,
)
from ecot_annotate.store.correction_lines import Line
from ecot_annotate.store.corrections_file import CorrectionsFile, read_lines
from ecot_annotate.store.manifest import Manifest

REVIEW = "review"
_warned: set[str] = set()
log = logging.getLogger("ecot_annotate")
CORRECTIONS = f"{REVIEW}/corrections.jsonl"

__all__ = ["Corrections", "EpisodeReview", "append", "corrections_path", "read_lines"]


def corrections_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / CORRECTIONS


@dataclass
class EpisodeReview:
    """One episode's lines, split into those that apply, stale ones and conflicts; kept up to
    date line by line (`add`), so what a page needs costs the same however long the file is."""

    key: str
    lines: list[Line] = field(default_factory=list)  # every line, in file order
    applied: list[Line] = field(default_factory=list)
    stale: list[Line] = field(default_factory=list)
    conflicts: list[Line] = field(default_factory=list)
    edits: list[Line] = field(default_factory=list)  # applied lines that change the annotation
    verdict: Verdict | None = None  # the latest applied verdict

    def add(self, line: Line, config_hash: str) -> None:
        self.lines.append(line)
        if line.config_hash != config_hash:
            self.stale.append(line)
        elif line.conflict is not None:
            self.conflicts.append(line)
        else:
            self.applied.append(line)
            if isinstance(line.change, Verdict):
                self.verdict = line.change
            else:
                self.edits.append(line)

    @property
    def version(self) -> int:
        return len(self.lines)

    @property
    def rejected(self) -> bool:
        return self.verdict is not None and self.verdict.verdict == "reject"

    @property
    def status(self) -> str:
        """unreviewed, rejected, corrected (edits applied) or accepted (as the machine wrote it)."""
        if self.rejected:
            return "rejected"
        if self.edits:
            return "corrected"
        return "accepted" if self.verdict is not None else "unreviewed"


class Corrections:
    """The corrections of one run, split per episode against the run's config hash.

    With `remember`, each episode's corrected annotation is kept and later lines are applied on
    top of it (the review server, which shows an episode again after each change)."""

    def __init__(self, lines: Iterable[Line], config_hash: str, remember: bool = False):
        self.config_hash = config_hash
        self.episodes: dict[str, EpisodeReview] = {}
        self.remember = remember
        self._applied: dict[str, tuple[Annotation, int, Annotation]] = {}
        for line in lines:
            self.add(line)

    def add(self, line: Line) -> None:
        review = self.episodes.setdefault(line.episode, EpisodeReview(line.episode))
        review.add(line, self.config_hash)

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
    def stale(self) -> list[Line]:
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
        (unless `keep_rejected`: the review page still shows a rejected episode). The result
        must not be changed: with `remember` it is kept for the next call."""
        review = self.review(key)
        if review.rejected and not keep_rejected:
            return None
        if not review.edits:
            return annotation
        base, done, corrected = self._applied.get(key, (None, 0, annotation))
        if base is not annotation:
            done, corrected = 0, copy.deepcopy(annotation)
        for line in review.edits[done:]:
            try:
                apply_line(corrected, line)
            except InputError as exc:  # written by hand or by a script for another episode length
                _warn_once(f"warning: {exc}; that line is not applied")
        if self.remember:
            self._applied[key] = (annotation, len(review.edits), corrected)
        return corrected


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


def run_config_hash(run_dir: str | Path) -> str:
    """The config hash of the run in `run_dir` (its manifest's run.json), '' when it has none."""
    info = Manifest(str(run_dir)).run_info()
    return "" if info is None else info.get("config_hash", "")


def _in_range(step: int, n_steps: int, line: Line) -> int:
    if not 0 <= step < n_steps:
        raise InputError(
            f"correction of episode {line.episode!r} names step {step}, "
            f"but the episode has {n_steps} steps (0-{n_steps - 1})"
        )
    return step


def apply_line(ann: Annotation, line: Line) -> None:
    """Change `ann` in place as one checked, current line says."""
    change = line.change
    for step in change.steps_named():
        _in_range(step, ann.n_steps, line)
    if isinstance(change, FieldEdit):
        for t in change.steps:
            ann.reasoning[t] = dataclasses.replace(ann.reasoning[t], **{change.field: change.value})
            if change.field == "move":
                ann.set_move(t, change.value)
    elif isinstance(change, SubtaskStart):
        _move_subtask_start(ann, change.subtask_start, change.subtask)
    elif isinstance(change, BoxEdit) and ann.bboxes is not None:
        ann.bboxes[change.step] = _edit_boxes(ann.bboxes[change.step], change, by_place=True)
    elif isinstance(change, TrackEdit) and ann.bboxes is not None:
        ann.bboxes = [_edit_boxes(boxes, change, by_place=False) for boxes in ann.bboxes]


def _edit_boxes(boxes: list[Box], change: BoxEdit | TrackEdit, by_place: bool) -> list[Box]:
    """One step's boxes with the change's box deleted, relabelled or resized. A box is found by
    its track id, or (`by_place`: a box of one step) by its place in the list when untracked."""
    kept = []
    for index, box in enumerate(boxes):
        track = box.track if box.track is not None or not by_place else index
        if track != change.track:
            kept.append(box)
        elif change.action == "relabel":
            kept.append(dataclasses.replace(box, label=change.label))
        elif change.action == "resize":
            kept.append(dataclasses.replace(box, box=change.xyxy))
    return kept


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


def append(run_dir: str | Path, line: Line) -> Line:
    """Append one line to the run's corrections (reading the file first: for scripts and tests;
    the review server keeps its `CorrectionsFile` and appends through it)."""
    written, _ = CorrectionsFile(corrections_path(run_dir)).append(line)
    return written
