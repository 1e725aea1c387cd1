"""The review queue: a run's episodes, most likely wrong first, each with the reasons why.

The reasons come from what the run recorded: the quality flags `stats` counts (fallbacks,
plan/motion disagreements, an untracked gripper or a high fit residual, steps without boxes), the
provenance of each committed annotation (fields an LLM answer left for repair or for the rules,
where the motion came from) and the run's quarantine (an episode next to a quarantined one may
share its fault). The queue reads what the machine wrote, not the corrections, so a corrected
episode keeps its place and its reasons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ecot_annotate.inspect.quality import EpisodeQuality, episode_quality, read_summary
from ecot_annotate.store.corrections import Corrections, EpisodeReview
from ecot_annotate.store.manifest import Manifest

# How much each reason raises an episode in the queue: a whole-episode failure first, then
# what disagrees on many steps, then what only hints at trouble.
WEIGHTS = {
    "fallback": 8.0,
    "fields repaired": 3.0,
    "fields from rules": 3.0,
    "chain from rules": 1.0,  # a rules run: template text, right only where the phases are
    "plan/motion disagreement": 4.0,  # times the share of steps that disagree
    "gripper not tracked": 2.0,
    "gripper fit residual": 3.0,
    "steps without boxes": 2.0,  # times the share of steps without boxes
    "motion not from the end-effector state": 1.5,
    "quarantined neighbour": 1.0,
}


@dataclass
class QueueItem:
    """One episode in the queue: where it stands, why it may be wrong, and what people did."""

    index: int  # the episode's place in key order (`show --episode INDEX`)
    quality: EpisodeQuality
    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # reason names, for the queue's filter
    score: float = 0.0
    review: EpisodeReview | None = None

    @property
    def key(self) -> str:
        return self.quality.key

    @property
    def status(self) -> str:
        return self.review.status if self.review is not None else "unreviewed"


def quarantined_keys(out: str | Path) -> list[str]:
    """Keys of the episodes the run quarantined."""
    keys = []
    for path in sorted((Path(out) / "quarantine").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                keys.append(json.loads(line).get("key", ""))
    return [k for k in keys if k]


def _neighbours(keys: list[str], quarantined: list[str]) -> set[str]:
    """Annotated episodes next to a quarantined one in key order (the source's order of files)."""
    everything = sorted(set(keys) | set(quarantined))
    bad = set(quarantined)
    near = set()
    for i, key in enumerate(everything):
        if key in bad:
            near.update(everything[max(0, i - 1) : i + 2])
    return near - bad


def _add(item: QueueItem, flag: str, reason: str, weight: float) -> None:
    item.flags.append(flag)
    item.reasons.append(reason)
    item.score += weight


def build_queue(out: str | Path, corrections: Corrections) -> list[QueueItem]:
    """Every episode the run annotated, most likely wrong first (ties in key order)."""
    episodes, _ = episode_quality(out, corrected=False)
    perception = any(e.steps_without_boxes is not None or e.gripper_tracked for e in episodes)
    manifest = Manifest(str(out))
    near = _neighbours([e.key for e in episodes], quarantined_keys(out))
    items = []
    for index, quality in enumerate(episodes):
        item = QueueItem(index, quality, review=corrections.review(quality.key))
        annotation = manifest.load(quality.key)
        provenance = annotation.provenance if annotation is not None else {}
        if quality.fallback_reason:
            _add(item, "fallback", f"fallback: {quality.fallback_reason}", WEIGHTS["fallback"])
        for name in ("fields_repaired", "fields_from_rules"):
            if provenance.get(name):
                flag = name.replace("_", " ")
                _add(item, flag, f"{flag}: {provenance[name]}", WEIGHTS[flag])
        if quality.source == "rules":
            _add(item, "chain from rules", "every text field written by the rules reasoner", WEIGHTS["chain from rules"])  # fmt: skip
        if quality.disagreeing_steps:
            share = quality.disagreeing_steps / max(quality.n_steps, 1)
            kinds = ", ".join(f"{k} ({n})" for k, n in quality.disagreements.most_common())
            _add(item, "plan/motion disagreement", kinds, WEIGHTS["plan/motion disagreement"] * (0.5 + share))  # fmt: skip
        if perception and not quality.gripper_tracked:
            _add(item, "gripper not tracked", quality.gripper_reason or "gripper not tracked", WEIGHTS["gripper not tracked"])  # fmt: skip
        for flag in quality.flags(perception):
            if flag.startswith("gripper fit residual"):
                _add(item, "gripper fit residual", flag, WEIGHTS["gripper fit residual"])
        if quality.steps_without_boxes:
            share = quality.steps_without_boxes / max(quality.n_steps, 1)
            _add(item, "steps without boxes", f"{quality.steps_without_boxes} steps without boxes", WEIGHTS["steps without boxes"] * (0.5 + share))  # fmt: skip
        source = provenance.get("motion_source", "state")
        if source != "state":
            flag = "motion not from the end-effector state"
            _add(item, flag, f"motion from {source}", WEIGHTS[flag])
        if quality.key in near:
            _add(item, "quarantined neighbour", "next to a quarantined episode", WEIGHTS["quarantined neighbour"])  # fmt: skip
        items.append(item)
    return sorted(items, key=lambda i: (-i.score, i.key))


def queue_flags(items: list[QueueItem]) -> list[tuple[str, int]]:
    """Each flag that occurs and how many episodes carry it, in the order of WEIGHTS."""
    counts = {name: sum(name in i.flags for i in items) for name in WEIGHTS}
    return [(name, n) for name, n in counts.items() if n]


def run_title(out: str | Path) -> str:
    summary = read_summary(out)
    return summary.get("dataset") or str(out)
