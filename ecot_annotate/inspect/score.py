"""Label quality against ground truth: the figures `ecot-annotate score` prints and stores.

Subtask boundaries are scored the WGO-Bench way: a boundary is a step where the subtask changes,
a predicted boundary counts when it is matched to a true one within a tolerance in seconds (an
optimal one-to-one matching: each true boundary is matched at most once, and as many as can be
are), and precision, recall and F1 are pooled over all episodes, at the chosen tolerance and at
REPORTED_S (+-0.5 s and +-1 s: a person placing boundaries from frames is good to about 0.2-0.4 s,
so +-1 step at 50 Hz would measure noise). Primitives are
scored per step (exact name, and a confusion table of their kinds); the gripper by its pixel
distance to the true gripper; boxes per object by the IoU of the best predicted box; tracks by how
often an object keeps the id it has most.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from ecot_annotate.geometry.tracks import iou
from ecot_annotate.inspect.quality import primitive_kind
from ecot_annotate.text.plan_motion import episode_disagreements

KINDS = ("move", "rotate", "close", "open", "stop")
BOX_HIT_IOU = 0.5
TOLERANCE_S = 0.5  # the default boundary tolerance
REPORTED_S = (0.5, 1.0)  # boundary figures are always reported at these tolerances too


def boundaries(labels: Sequence[str]) -> list[int]:
    """Steps where the label differs from the step before."""
    return [t for t in range(1, len(labels)) if labels[t] != labels[t - 1]]


def matched_boundaries(predicted: Sequence[int], true: Sequence[int], tolerance: float) -> int:
    """The most (predicted, true) pairs within `tolerance` steps of each other, each boundary in
    one pair at most: an optimal assignment (scipy's linear_sum_assignment) where a pair too far
    apart costs more than all the near ones together."""
    if not len(predicted) or not len(true):
        return 0
    distance = np.abs(np.subtract.outer(np.asarray(predicted, float), np.asarray(true, float)))
    far = distance > tolerance + 1e-9
    rows, cols = linear_sum_assignment(np.where(far, 1e6, distance))
    return int((~far[rows, cols]).sum())


@dataclass
class EpisodeTruth:
    """What is known to be right about one episode; a field is None where it is not known."""

    key: str
    subtasks: list[str] | None = None  # per step: a phase name or a human subtask label
    primitives: list[str] | None = None
    primitive_steps: list[int] | None = None  # the steps `primitives` is known at; None: every step
    gripper: np.ndarray | None = None  # (T, 2) pixels
    boxes: np.ndarray | None = None  # (T, N, 4) pixels, one row per named object
    names: list[str] | None = None
    image_width: int | None = None
    arm_primitives: dict[str, list[str]] | None = None  # two arms: each arm's true primitives
    arm_subtasks: dict[str, list[str]] | None = None  # two arms: each arm's true phases


@dataclass
class EpisodePrediction:
    """What the run wrote for one episode (read from its Parquet steps)."""

    key: str
    subtasks: list[str]
    primitives: list[str]
    moves: list[str]
    gripper: np.ndarray | None  # (T, 2) or None when not tracked
    boxes: list[list[dict]] | None  # per step: {label, score, box, track (optional)}
    image_width: int
    named: list[str] | None = None  # two arms: each step's move naming every arm's primitive
    arm_primitives: dict[str, list[str]] | None = None  # two arms: each arm's primitives


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _f1(matched: int, predicted: int, true: int) -> tuple[float | None, float | None, float]:
    precision, recall = _ratio(matched, predicted), _ratio(matched, true)
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision and recall else 0.0
    return precision, recall, f1


def _boundary_figures(counts: Counter) -> dict:
    precision, recall, f1 = _f1(counts["matched"], counts["predicted"], counts["true"])
    return {**counts, "precision": precision, "recall": recall, "f1": f1}


def _arm_figures(counts: Counter) -> dict:
    """One arm's figures: primitive accuracy and boundary F1 against its own truth."""
    out: dict = {}
    if counts["steps"]:
        out["primitive_steps"] = counts["steps"]
        out["primitive_accuracy"] = _ratio(counts["exact"], counts["steps"])
    if counts["boundaries_true"] or counts["boundaries_predicted"]:
        precision, recall, f1 = _f1(
            counts["boundaries_matched"], counts["boundaries_predicted"], counts["boundaries_true"]
        )
        out["boundaries"] = {"precision": precision, "recall": recall, "f1": f1}
    return out


@dataclass
class Scorer:
    """Accumulates figures over episodes; `figures()` gives the JSON-ready result."""

    tolerance_s: float = TOLERANCE_S
    hz: float = 5.0  # the run's control rate: steps per second
    lead: int = 0  # the run's gripper event lead, for plan/motion agreement
    episodes: int = 0
    boundary: dict[float, Counter] = field(default_factory=dict)  # per tolerance in seconds
    primitive: Counter = field(default_factory=Counter)
    confusion: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in KINDS})
    gripper_errors: list[float] = field(default_factory=list)
    box_ious: dict[str, list[float]] = field(default_factory=dict)
    track_steps: Counter = field(default_factory=Counter)
    agreement: Counter = field(default_factory=Counter)
    arms: dict[str, Counter] = field(default_factory=dict)

    @property
    def tolerances(self) -> tuple[float, ...]:
        return tuple(sorted({self.tolerance_s, *REPORTED_S}))

    @property
    def tolerance_steps(self) -> float:
        return self.tolerance_s * self.hz

    def add(self, truth: EpisodeTruth, pred: EpisodePrediction) -> None:
        self.episodes += 1
        n = len(pred.primitives)
        named = pred.named or pred.primitives
        for found in episode_disagreements(named, pred.moves, pred.subtasks, self.lead):
            self.agreement["differ" if found else "agree"] += 1
        if truth.subtasks is not None:
            true_b = boundaries(truth.subtasks[:n])
            pred_b = boundaries(pred.subtasks[: len(truth.subtasks)])
            for seconds in self.tolerances:
                counts = self.boundary.setdefault(seconds, Counter())
                counts["true"] += len(true_b)
                counts["predicted"] += len(pred_b)
                counts["matched"] += matched_boundaries(pred_b, true_b, seconds * self.hz)
            matched = matched_boundaries(pred_b, true_b, self.tolerance_steps)
            self._add_arm_boundaries(truth, pred_b, len(pred_b) - matched, n)
        if truth.primitives is not None:
            known = range(n) if truth.primitive_steps is None else truth.primitive_steps
            pairs = [(pred.primitives[t], truth.primitives[t]) for t in known if t < n]
            for got, want in pairs:
                self.primitive["steps"] += 1
                self.primitive["exact"] += got == want
                self.confusion[primitive_kind(want)][primitive_kind(got)] += 1
        self._add_arms(truth, pred)
        scale = pred.image_width / truth.image_width if truth.image_width else 1.0
        if truth.gripper is not None and pred.gripper is not None:
            errors = np.linalg.norm(pred.gripper - truth.gripper[:n] * scale, axis=1)
            self.gripper_errors.extend(float(e) for e in errors if np.isfinite(e))
        if truth.boxes is not None and truth.names is not None and pred.boxes is not None:
            self._add_boxes(truth, pred, scale)

    def _add_arm_boundaries(
        self, truth: EpisodeTruth, pred_b: list[int], unexplained: int, n: int
    ) -> None:
        """Each arm's phase changes against the run's subtask boundaries. A predicted boundary
        that matches no arm's change counts against every arm; one that matches the other arm's
        change counts against neither."""
        for arm, phases in (truth.arm_subtasks or {}).items():
            true_b = boundaries(phases[:n])
            counts = self.arms.setdefault(arm, Counter())
            matched = matched_boundaries(pred_b, true_b, self.tolerance_steps)
            counts["boundaries_true"] += len(true_b)
            counts["boundaries_matched"] += matched
            counts["boundaries_predicted"] += matched + unexplained

    def _add_arms(self, truth: EpisodeTruth, pred: EpisodePrediction) -> None:
        """Each arm's primitives against its own truth, where both are known."""
        for arm, want in (truth.arm_primitives or {}).items():
            got = (pred.arm_primitives or {}).get(arm)
            if got is None:
                continue
            counts = self.arms.setdefault(arm, Counter())
            for a, b in zip(got, want, strict=False):
                counts["steps"] += 1
                counts["exact"] += a == b

    def _add_boxes(self, truth: EpisodeTruth, pred: EpisodePrediction, scale: float) -> None:
        frames = pred.boxes or []
        tracked = any("track" in box and box["track"] is not None for f in frames for box in f)
        for index, name in enumerate(truth.names or []):
            ids: list[int] = []
            visible = 0
            for t, found in enumerate(frames):
                want = truth.boxes[t, index] * scale
                if want[2] <= 0 or want[3] <= 0 or min(want[0], want[1]) >= pred.image_width:
                    continue  # outside the image: not visible
                visible += 1
                best, best_track = 0.0, None
                for box in found:
                    overlap = iou(np.asarray(box["box"], dtype=float), want)
                    if overlap > best:
                        best, best_track = overlap, box.get("track")
                self.box_ious.setdefault(name, []).append(best)
                if best >= BOX_HIT_IOU and best_track is not None:
                    ids.append(int(best_track))
            if tracked:
                self.track_steps["visible"] += visible
                self.track_steps["same_id"] += Counter(ids).most_common(1)[0][1] if ids else 0

    def figures(self) -> dict:
        out: dict = {
            "episodes": self.episodes,
            "boundary_tolerance_s": self.tolerance_s,
            "control_hz": self.hz,
        }
        if self.boundary:
            out["boundaries"] = _boundary_figures(self.boundary[self.tolerance_s])
            out["boundaries_at"] = {
                f"{seconds:g}": _boundary_figures(self.boundary[seconds]) for seconds in REPORTED_S
            }
        if self.primitive:
            out["primitives"] = {
                "steps": self.primitive["steps"],
                "accuracy": _ratio(self.primitive["exact"], self.primitive["steps"]),
                "confusion": {want: dict(got) for want, got in self.confusion.items() if got},
            }
        if self.arms:
            out["arms"] = {arm: _arm_figures(counts) for arm, counts in sorted(self.arms.items())}
        if self.gripper_errors:
            errors = np.asarray(self.gripper_errors)
            out["gripper_px"] = {
                "steps": len(errors),
                "median": round(float(np.median(errors)), 2),
                "p90": round(float(np.percentile(errors, 90)), 2),
            }
        if self.box_ious:
            out["boxes"] = {
                name: {
                    "steps": len(values),
                    "mean_iou": round(float(np.mean(values)), 4),
                    "recall": _ratio(sum(v >= BOX_HIT_IOU for v in values), len(values)),
                }
                for name, values in sorted(self.box_ious.items())
            }
        if self.track_steps:
            out["tracks"] = {
                **self.track_steps,
                "id_constancy": _ratio(self.track_steps["same_id"], self.track_steps["visible"]),
            }
        if self.agreement:
            out["plan_motion_agreement"] = _ratio(
                self.agreement["agree"], self.agreement["agree"] + self.agreement["differ"]
            )
        return out
