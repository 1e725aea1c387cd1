"""The review queue: a run's episodes, most likely wrong first, each with the reasons why.

The reasons and their weights are the run's evidence (`inspect/evidence.py`): where the chain
contradicts the measured motion or fails the text checks, what it was written from or by, and
what it was written without. An episode's score is the sum of its reasons' weights. The queue
reads what the machine wrote, not the corrections, so a corrected episode keeps its place and its
reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ecot_annotate.inspect.evidence import FLAGS, Evidence, run_evidence
from ecot_annotate.inspect.quality import EpisodeQuality, read_summary
from ecot_annotate.store.corrections import Corrections, EpisodeReview


@dataclass
class QueueItem:
    """One episode in the queue: where it stands, why it may be wrong, and what people did."""

    index: int  # the episode's place in key order (`show --episode INDEX`)
    quality: EpisodeQuality
    evidence: list[Evidence] = field(default_factory=list)  # heaviest first
    review: EpisodeReview | None = None

    @property
    def key(self) -> str:
        return self.quality.key

    @property
    def score(self) -> float:
        return sum(e.weight for e in self.evidence)

    @property
    def reasons(self) -> list[str]:
        """Each reason with its weight, as the pages show them."""
        return [e.label for e in self.evidence]

    @property
    def flags(self) -> list[str]:
        """The kinds of the reasons, for the queue's filter."""
        return [e.flag for e in self.evidence]

    @property
    def status(self) -> str:
        return self.review.status if self.review is not None else "unreviewed"


def build_queue(out: str | Path, corrections: Corrections) -> list[QueueItem]:
    """Every episode the run annotated, most likely wrong first (ties in key order)."""
    items = [
        QueueItem(index, quality, evidence, corrections.review(quality.key))
        for index, (quality, evidence) in enumerate(run_evidence(out))
    ]
    return sorted(items, key=lambda i: (-i.score, i.key))


def queue_flags(items: list[QueueItem]) -> list[tuple[str, int]]:
    """Each flag that occurs and how many episodes carry it, in the order of FLAGS."""
    counts = {name: sum(name in i.flags for i in items) for name in FLAGS}
    return [(name, n) for name, n in counts.items() if n]


def run_title(out: str | Path) -> str:
    summary = read_summary(out)
    return summary.get("dataset") or str(out)
