# Long file: every per-run quality statistic in one pass over the rows; split it and the pass is read twice.
"""Quality figures of a finished run: what to look at before training on it.

Reads the Parquet steps (never the images) batch by batch, so it scales to large runs, or the
run's manifest when it wrote no Parquet (no image sizes then, so no residual flag), and the run's
summary.json where there is one. Perception columns may be null (no detector ran) and a
gripper-fit residual column may be absent (older runs): every figure then says "not measured"
rather than zero.

Every distinct text of every episode also goes through the text checks (`text.checks`), so a run
made by any writer, version or tool is measured the same way; where the run counted its own
checks while writing (summary.json `llm.text_checks`), those counts are shown beside.

A plan/motion disagreement (`text.plan_motion`) is a step where the text and the measured motion do not agree:
the MOVE text is not the primitive computed from the state, the gripper closes while the
subtask is not about taking hold of something, or it opens while the subtask is not about
letting go. A primitive looks ahead, so a gripper primitive also agrees with the subtask the
gripper event starts within its look-ahead (`event_lead`, from the run's motion window).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ecot_annotate.episode import SINGLE_ARM, name_arms, per_arm_parts, several_arms
from ecot_annotate.store.run_output import open_annotations, run_corrections
from ecot_annotate.text.checks import ChainTally, check_chain, episode_words
from ecot_annotate.text.plan_motion import DISAGREEMENT_KINDS, episode_disagreements

RESIDUAL_FLAG_FRACTION = 0.03  # a gripper fit off by more than 3% of the image width is flagged
KIND_NAMES = {
    "move": "move",
    "rotate": "rotate / tilt",
    "close": "close gripper",
    "open": "open gripper",
    "stop": "stop",
}
_DIGITS = re.compile(r"\d+")
_RMS = re.compile(r"rms ([0-9.]+) px")
_COLUMNS = (
    "episode_key",
    "step",
    "n_steps",
    "instruction",
    "image_width",
    "primitive",
    "arm_primitives",
    "move",
    "subtask",
    "reasoning_source",
    "fallback_reason",
    "bboxes",
    "gripper_position",
    "gripper_reason",
    "task",
    "plan",
    "subtask_reason",
    "move_reason",
    "caption",
)
_TEXTS = ("task", "plan", "subtask", "subtask_reason", "move", "move_reason")


KIND_ORDER = ("close", "open", "move", "rotate", "stop")  # a step of several arms: the first


def _arm_kind(primitive: str) -> str:
    if "close gripper" in primitive:
        return "close"
    if "open gripper" in primitive:
        return "open"
    if primitive.strip() == "stop":
        return "stop"
    if "move" not in primitive:
        return "rotate"
    return "move"


def primitive_kind(move: str) -> str:
    """One colour class per move: close, open, stop, rotate (tilt/rotate only) or move. A move
    naming several arms takes the first of KIND_ORDER among its arms': `stop` only when every arm
    stops."""
    kinds = {_arm_kind(primitive) for primitive in per_arm_parts(move).values()}
    return next(kind for kind in KIND_ORDER if kind in kinds)


def summary_event_lead(summary: dict[str, Any]) -> int:
    """The event lead of a run's motion window (0 for runs made before it was recorded)."""
    from ecot_annotate.geometry.motion import event_lead

    window = (summary.get("motion") or {}).get("window")
    return event_lead(int(window)) if window else 0


def summary_control_hz(summary: dict[str, Any]) -> float:
    """The run's control rate: the one its motion thresholds were calibrated at, else the rate its
    0.8 s motion window implies (ECoT's fixed 4 steps: Bridge's 5 Hz)."""
    from ecot_annotate.geometry.motion_auto import BRIDGE_HZ, WINDOW_SECONDS

    motion = summary.get("motion") or {}
    calibration = motion.get("calibration") or {}
    if calibration.get("control_hz"):
        return float(calibration["control_hz"])
    window = motion.get("window")
    return float(window) / WINDOW_SECONDS if window else BRIDGE_HZ


def fallback_kind(reason: str) -> str:
    """The kind of a fallback reason (`<kind>: <detail>`), so that reasons group into a few counts."""
    return reason.split(":", 1)[0].strip()


def reason_kind(reason: str) -> str:
    """A reason with its numbers replaced by N, so that "4 of 10 frames" and "6 of 10" count together."""
    return _DIGITS.sub("N", reason)


def residual_column(dataset) -> str | None:
    """The gripper-fit residual column of this run that holds values, if there is one.

    A numeric column named for a residual (or a gripper rms/error, like the perception stage's
    `gripper_fit_rms_px`), per step or repeated per episode; else the `gripper_fit` provenance
    text, whose "rms X px" is read. A column that is null throughout (no fit ran) does not count.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    schema = dataset.schema
    candidates = []
    for name in schema.names:
        kind = schema.field(name).type
        while pa.types.is_list(kind) or pa.types.is_large_list(kind):
            kind = kind.value_type
        named = "residual" in name or (
            name.startswith("gripper") and ("rms" in name or "error" in name)
        )
        if named and (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
            candidates.append(name)
    if "gripper_fit" in schema.names:
        candidates.append("gripper_fit")
    for name in candidates:
        if dataset.count_rows(filter=ds.field(name).is_valid()):
            return name
    return None


def _numbers(value: Any) -> list[float]:
    if value is None:
        return []
    if isinstance(value, str):
        match = _RMS.search(value)
        return [float(match.group(1))] if match else []
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _numbers(item)]
    return [float(value)] if np.isfinite(value) else []


WRITER_COUNTS = ("fields", "fields_own", "fields_copied", "fields_from_rules")


@dataclass
class EpisodeQuality:
    """Per-episode figures and the flags the index page shows."""

    key: str
    instruction: str = ""
    n_steps: int = 0
    image_width: int = 0
    source: str = ""
    fallback_reason: str | None = None
    steps_without_boxes: int | None = None  # None: no detector ran on this episode
    boxes: int = 0
    gripper_tracked: bool = False
    gripper_reason: str | None = None
    residuals: list[float] = field(default_factory=list)
    step_primitives: dict[int, str] = field(default_factory=dict)  # what the move should say
    step_arms: dict[int, dict[str, str]] = field(default_factory=dict)  # step: arm: primitive
    step_texts: dict[int, tuple[str, str]] = field(default_factory=dict)  # step: (move, subtask)
    disagreements: Counter = field(default_factory=Counter)
    disagreeing_steps: int = 0
    step_chains: dict[int, dict[str, str]] = field(default_factory=dict)  # step: the six fields
    caption: str = ""
    labels: set[str] = field(default_factory=set)
    text_checks: ChainTally = field(default_factory=ChainTally)

    def add(self, row: dict[str, Any], residual_name: str | None) -> None:
        self.instruction = row.get("instruction") or ""
        self.n_steps += 1
        self.image_width = row.get("image_width") or 0
        self.fallback_reason = row["fallback_reason"] or self.fallback_reason
        self.source = "fallback" if self.fallback_reason else row["reasoning_source"]
        if row["bboxes"] is not None:
            self.boxes += len(row["bboxes"])
            self.steps_without_boxes = (self.steps_without_boxes or 0) + (not row["bboxes"])
        self.gripper_tracked = self.gripper_tracked or row["gripper_position"] is not None
        self.gripper_reason = row["gripper_reason"] or self.gripper_reason
        if residual_name:
            self.residuals.extend(_numbers(row[residual_name]))
        arms = row.get("arm_primitives")  # several arms: each arm's primitive
        per_arm = {a["arm"]: a["primitive"] for a in arms or ()} or {SINGLE_ARM: row["primitive"]}
        self.step_arms[row["step"]] = per_arm
        # named from each arm's, so older runs whose primitive was the first arm's count right
        self.step_primitives[row["step"]] = name_arms(per_arm)
        self.step_texts[row["step"]] = (row["move"], row["subtask"])
        self.step_chains[row["step"]] = {name: row.get(name) or "" for name in _TEXTS}
        self.caption = row.get("caption") or self.caption
        self.labels.update(box["label"] for box in row["bboxes"] or ())

    def finish(self, lead: int) -> None:
        """Count disagreements once every step is in (rows arrive in any order)."""
        steps = sorted(self.step_primitives)
        for found in episode_disagreements(
            [self.step_primitives[t] for t in steps],
            [self.step_texts[t][0] for t in steps],
            [self.step_texts[t][1] for t in steps],
            lead,
        ):
            self.disagreements.update(found)
            self.disagreeing_steps += bool(found)
        chain = [self.step_chains[t] for t in steps]
        instruction = self.instruction or (chain[0]["task"] if chain else "")
        self.text_checks = check_chain(chain, episode_words(instruction, self.caption, self.labels))

    @property
    def primitives(self) -> Counter:
        return Counter(self.step_primitives.values())

    def arm_kinds(self) -> dict[str, Counter]:
        """Steps of each kind, per arm."""
        kinds: dict[str, Counter] = {}
        for per_arm in self.step_arms.values():
            for arm, primitive in per_arm.items():
                kinds.setdefault(arm, Counter())[_arm_kind(primitive)] += 1
        return kinds

    def step_kinds(self) -> list[str]:
        return [primitive_kind(self.step_primitives[t]) for t in sorted(self.step_primitives)]

    def fit_residuals(self) -> list[float]:
        """The episode's residuals; an episode-level figure repeated on every step counts once."""
        if len(set(self.residuals)) == 1:
            return self.residuals[:1]
        return self.residuals

    @property
    def residual(self) -> float | None:
        return float(np.median(self.residuals)) if self.residuals else None

    def flags(self, perception: bool) -> list[str]:
        """Short labels for what looks wrong; `perception` says whether the run tried to track."""
        flags = []
        if self.fallback_reason:
            flags.append("fallback")
        if self.steps_without_boxes:
            flags.append(_count(self.steps_without_boxes, "step", "steps") + " without boxes")
        if perception and not self.gripper_tracked:
            flags.append("gripper not tracked")
        residual = self.residual
        if (
            residual is not None
            and self.image_width
            and residual > RESIDUAL_FLAG_FRACTION * self.image_width
        ):
            flags.append(f"gripper fit residual {residual:.1f} px")
        if self.disagreeing_steps:
            flags.append(
                _count(
                    self.disagreeing_steps, "plan/motion disagreement", "plan/motion disagreements"
                )
            )
        if self.text_checks.failing:
            flags.append(
                _count(self.text_checks.failing, "text failing a check", "texts failing a check")
            )
        return flags


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def read_summary(out: str | Path) -> dict[str, Any]:
    path = Path(out) / "summary.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def episode_quality(
    out: str | Path, corrected: bool = True
) -> tuple[list[EpisodeQuality], str | None]:
    """Per-episode figures in key order (the order `--episode INDEX` counts in), and the residual
    column used; `corrected=False`: of what the machine wrote, rejected episodes included."""
    dataset = open_annotations(out, corrected)
    names = dataset.schema.names
    residual_name = residual_column(dataset)
    columns = [c for c in _COLUMNS if c in names] + ([residual_name] if residual_name else [])
    episodes: dict[str, EpisodeQuality] = {}
    for batch in dataset.to_batches(columns=columns):
        for row in batch.to_pylist():
            key = row["episode_key"]
            if key not in episodes:
                episodes[key] = EpisodeQuality(key)
            episodes[key].add(row, residual_name)
    lead = summary_event_lead(read_summary(out))
    for episode in episodes.values():
        episode.finish(lead)
    return [episodes[k] for k in sorted(episodes)], residual_name


def _percentiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    array = np.asarray(values, dtype=np.float64)
    return {
        "n": int(array.size),
        "median": round(float(np.median(array)), 3),
        "p90": round(float(np.percentile(array, 90)), 3),
        "max": round(float(array.max()), 3),
    }


def review_counts(out: str | Path) -> dict[str, int] | None:
    """What people did in review (store/corrections.py); None when nobody reviewed the run."""
    corrections = run_corrections(out)
    return None if corrections is None else corrections.counts()


def run_stats(
    out: str | Path, episodes: list[EpisodeQuality] | None = None, residual_name: str | None = None
) -> dict[str, Any]:
    """Dataset-level quality figures (what `stats --json` prints and the report shows)."""
    if episodes is None:
        episodes, residual_name = episode_quality(out)
    summary = read_summary(out)
    perception = any(e.steps_without_boxes is not None or e.gripper_tracked for e in episodes)
    detected = [e for e in episodes if e.steps_without_boxes is not None]
    primitives: Counter = sum((e.primitives for e in episodes), Counter())
    kinds: Counter = Counter()
    for name, count in primitives.items():
        kinds[primitive_kind(name)] += count
    by_arm: dict[str, Counter] = {}
    for episode in episodes:
        for arm, counts in episode.arm_kinds().items():
            by_arm[arm] = by_arm.get(arm, Counter()) + counts
    disagreements: Counter = sum((e.disagreements for e in episodes), Counter())
    residuals = [r for e in episodes for r in e.fit_residuals()]
    texts = ChainTally()
    for episode in episodes:
        texts.add(episode.text_checks)
    flagged = [e for e in episodes if e.flags(perception)]
    return {
        "run": str(out),
        "dataset": summary.get("dataset"),
        "episodes": len(episodes),
        "steps": sum(e.n_steps for e in episodes),
        "episodes_in": summary.get("episodes_in"),
        "episodes_quarantined": summary.get("episodes_quarantined"),
        "review": review_counts(out),
        "backends": summary.get("backends", {}),
        "reasoning": {
            "episodes_by_source": dict(Counter(e.source for e in episodes).most_common()),
            "steps_by_source": dict(
                sum((Counter({e.source: e.n_steps}) for e in episodes), Counter()).most_common()
            ),
            "fallback_reasons": dict(
                Counter(
                    fallback_kind(e.fallback_reason) for e in episodes if e.fallback_reason
                ).most_common()
            ),
        },
        "boxes": {
            "detector_ran": bool(detected),
            "steps_with_boxes": sum(e.n_steps - e.steps_without_boxes for e in detected),
            "steps_without_boxes": sum(e.steps_without_boxes for e in detected),
            "steps_not_detected": sum(e.n_steps for e in episodes if e.steps_without_boxes is None),
            "boxes": sum(e.boxes for e in detected),
        },
        "gripper": {
            "tracked_episodes": sum(e.gripper_tracked for e in episodes),
            "untracked_episodes": sum(not e.gripper_tracked for e in episodes),
            "untracked_reasons": dict(
                Counter(
                    reason_kind(e.gripper_reason)
                    for e in episodes
                    if not e.gripper_tracked and e.gripper_reason
                ).most_common()
            ),
            "residual_column": residual_name,
            "residual_px": _percentiles(residuals),
            "residual_flag_fraction_of_width": RESIDUAL_FLAG_FRACTION,
        },
        "primitives": {
            "steps_by_primitive": dict(primitives.most_common()),
            "steps_by_kind": dict(kinds.most_common()),
            "steps_by_arm": {arm: dict(counts.most_common()) for arm, counts in by_arm.items()},
        },
        "disagreements": {
            "steps": sum(e.disagreeing_steps for e in episodes),
            "episodes": sum(bool(e.disagreeing_steps) for e in episodes),
            "by_kind": {k: disagreements.get(k, 0) for k in DISAGREEMENT_KINDS},
        },
        "text_checks": {
            **texts.as_dict(),
            "written": (summary.get("llm") or {}).get("text_checks"),
            "writers": _writers(summary.get("llm") or {}),
        },
        "flagged_episodes": len(flagged),
    }


def _writers(llm: dict[str, Any]) -> dict[str, int] | None:
    """Who wrote the LLM answers' texts, as the reasoner counted them; None for runs that did not."""
    if "fields_own" not in llm or not llm.get("fields"):
        return None
    return {name: int(llm[name]) for name in WRITER_COUNTS}


def _share(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.0f}%)" if whole else str(part)


def quality_rows(stats: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(section, figure, value) rows: the terminal table and the report's quality table."""
    steps, episodes = stats["steps"], stats["episodes"]
    rows = [("run", "episodes annotated", str(episodes)), ("run", "steps annotated", str(steps))]
    if stats.get("episodes_quarantined") is not None:
        rows.append(("run", "episodes quarantined", str(stats["episodes_quarantined"])))
    for name, count in (stats.get("review") or {}).items():
        rows.append(("review", name.replace("_", " "), str(count)))
    reasoning = stats["reasoning"]
    for source, count in reasoning["episodes_by_source"].items():
        rows.append(("reasoning", f"episodes by {source}", _share(count, episodes)))
    for reason, count in reasoning["fallback_reasons"].items():
        rows.append(("reasoning", f"fallback: {reason}", str(count)))
    boxes = stats["boxes"]
    if boxes["detector_ran"]:
        rows.append(("boxes", "steps without boxes", _share(boxes["steps_without_boxes"], steps)))
        rows.append(("boxes", "boxes in all", str(boxes["boxes"])))
    if boxes["steps_not_detected"]:
        rows.append(
            ("boxes", "steps with no detector run", _share(boxes["steps_not_detected"], steps))
        )
    gripper = stats["gripper"]
    rows.append(("gripper", "episodes tracked", _share(gripper["tracked_episodes"], episodes)))
    for reason, count in gripper["untracked_reasons"].items():
        rows.append(("gripper", f"not tracked: {reason.removeprefix('not tracked: ')}", str(count)))
    residual = gripper["residual_px"]
    if residual:
        rows.append(
            (
                "gripper",
                "fit residual median / p90 (px)",
                f"{residual['median']:.2f} / {residual['p90']:.2f}",
            )
        )
    else:
        rows.append(("gripper", "fit residual", "not measured in this run"))
    for kind, count in stats["primitives"]["steps_by_kind"].items():
        rows.append(("primitives", f"steps: {KIND_NAMES[kind]}", _share(count, steps)))
    by_arm = stats["primitives"].get("steps_by_arm") or {}
    for arm, counts in by_arm.items() if several_arms(by_arm) else ():
        for kind, count in counts.items():
            rows.append(("primitives", f"{arm} arm: {KIND_NAMES[kind]}", _share(count, steps)))
    disagreements = stats["disagreements"]
    rows.append(("plan/motion", "steps disagreeing", _share(disagreements["steps"], steps)))
    for kind, count in disagreements["by_kind"].items():
        if count:
            rows.append(("plan/motion", kind, str(count)))
    rows.extend(_text_check_rows(stats["text_checks"]))
    rows.append(("flags", "episodes flagged", _share(stats["flagged_episodes"], episodes)))
    return rows


def _text_check_rows(texts: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The text checks as measured now, and as the LLM reasoner counted them while writing."""
    rows = [("text checks", "texts failing a check", _share(texts["failing"], texts["fields"]))]
    rows += [
        ("text checks", f"failing: {check.replace('_', ' ')}", str(count))
        for check, count in texts["by_check"].items()
        if count
    ]
    writers = texts.get("writers")
    if writers:
        rows += [
            ("text checks", f"answer texts: {label}", _share(writers[name], writers["fields"]))
            for name, label in (
                ("fields_own", "the model's own, passing"),
                ("fields_copied", "copied from the rule writer"),
                ("fields_from_rules", "written by the rules"),
            )
        ]
    for check, counts in (texts.get("written") or {}).items():
        if any(counts.values()):
            rows.append(
                (
                    "text checks",
                    f"while writing: {check.replace('_', ' ')}",
                    f"{counts['failed']} failed, {counts['repaired']} repaired, "
                    f"{counts['from_rules']} from rules",
                )
            )
    return rows
