"""Where the review queue puts the episodes known to be wrong.

1. The generated sample with planted defects (tests/support/planted.py: a subtask shifted by 10
   steps, a move reason naming the wrong direction, an inverted gripper channel, jittered state
   among 56 clean episodes): the rank of each planted episode, against key order (the queue's
   order when every episode of a rules run scored alike).
2. Real recordings with hand labels (benchmarks/labels/NAME.jsonl, made as LABELLING.md says): the
   run's own subtasks are scored against the labels episode by episode, and the measure is how
   many of the worst quarter (lowest boundary F1 within 1 s, then the largest mean distance
   between true and predicted boundaries) the top quarter of the queue holds. Chance is a quarter.
   With a handful of labels a set the worst quarter is one episode, so the pooled row also counts
   the quarter rounded up (two of five), to show how much the figure rests on that rounding.
   The labelled sets and where their recordings lie are bench_subtasks.py's (DATASETS, read from
   $ECOT_LABELLED_DATA, default ../labelled-data); a set whose recording is not there is skipped
   with the line that fetches it. Each recording is annotated whole, the rules reasoner and no
   camera read (no detector places anything), since the queue sets each episode beside the rest.
3. The generated sample read as a Dobot CR5 records it (its gripper only as a late binary
   command): how many of the episodes whose subtasks miss a boundary the top quarter holds.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.results import Row

TOLERANCE_S = 1.0


@dataclass(frozen=True)
class Boundaries:
    """How far one episode's subtask boundaries lie from its labels."""

    key: str
    f1: float
    distance_s: float  # mean distance from each boundary to the nearest of the other side


def episode_boundaries(
    key: str, predicted: list[str], labels: list[tuple[int, str]], hz: float
) -> Boundaries:
    """One episode's run subtasks (per step) against its label rows (first step, subtask)."""
    from ecot_annotate.inspect.score import boundaries, matched_boundaries
    from ecot_annotate.inspect.score_run import labelled_subtasks

    mine = boundaries(predicted)
    true = boundaries(labelled_subtasks(labels, len(predicted)))
    hits = matched_boundaries(mine, true, round(TOLERANCE_S * hz))
    f1 = 2 * hits / (len(mine) + len(true)) if mine or true else 1.0
    whole = len(predicted) / hz

    def nearest(these: list[int], those: list[int]) -> list[float]:
        return [min((abs(a - b) / hz for b in those), default=whole) for a in these]

    gaps = nearest(mine, true) + nearest(true, mine)
    return Boundaries(key, f1, sum(gaps) / len(gaps) if gaps else 0.0)


def worst_in_top(
    queue_keys: list[str], scored: list[Boundaries], rounded_up: bool = False
) -> tuple[int, int]:
    """(how many of the worst quarter of `scored` (rounded down, at least one, or up) lie in the
    top quarter of the queue, how many that quarter holds); the queue's order is that of
    `queue_keys`, every episode of the run."""
    count = math.ceil(len(scored) / 4) if rounded_up else max(1, len(scored) // 4)
    worst = sorted(scored, key=lambda b: (b.f1, -b.distance_s))[:count]
    top = set(queue_keys[: math.ceil(len(queue_keys) / 4)])
    return sum(b.key in top for b in worst), len(worst)


def _planted(folder: Path) -> Row:
    from ecot_annotate.review.queue import build_queue
    from ecot_annotate.store.corrections import Corrections
    from tests.support.planted import planted_run

    out, defects = planted_run(folder)
    queue = [item.key for item in build_queue(out, Corrections([], ""))]
    in_keys = sorted(queue)
    ranks = sorted(queue.index(k) + 1 for k in defects)
    before = sorted(in_keys.index(k) + 1 for k in defects)
    top = len(queue) // 10
    return Row(
        f"review queue: {len(defects)} planted defects among {len(queue)} generated episodes, "
        f"ranks (top 10% = {top})",
        f"key order: {', '.join(map(str, before))}",
        f"by evidence: {', '.join(map(str, ranks))}",
        f"{sum(r <= top for r in ranks)}/{len(ranks)} in the top 10% (key order: "
        f"{sum(r <= top for r in before)}/{len(before)})",
    )


def _command_only(folder: Path, episodes: int = 40) -> Row:
    """The generated so101-noisy sample read as a Dobot CR5 records it (bench_subtasks's
    command-only row): where the late command leaves a grasp at the command instead of the stop
    it belongs to, the chain misses; the measure is how many of the episodes whose subtasks miss
    a boundary by more than TOLERANCE_S the queue's top quarter holds."""
    from ecot_annotate.inspect.quality import read_summary, summary_control_hz
    from ecot_annotate.inspect.score_run import dataset_truths, predictions
    from ecot_annotate.review.queue import build_queue
    from ecot_annotate.sample.joint_space import write_joint_sample
    from ecot_annotate.store.corrections import Corrections
    from ecot_annotate.store.run_config import profiled_config
    from tests.support.samples import command_only_run

    root, _ = write_joint_sample(folder / "sample", "so101-noisy", episodes=episodes, seed=1)
    out = command_only_run(root, folder)
    hz = summary_control_hz(read_summary(out))
    truths = dataset_truths(profiled_config(str(out)))
    missing = [
        p.key
        for p in predictions(out, set(truths), corrected=False)
        if episode_boundaries(p.key, p.subtasks, _rows(truths[p.key].subtasks), hz).f1 < 1
    ]
    queue = [item.key for item in build_queue(out, Corrections([], ""))]
    top = set(queue[: math.ceil(len(queue) / 4)])
    ranks = sorted(queue.index(k) + 1 for k in missing)
    return Row(
        f"review queue on the generated so101-noisy sample read as a Dobot CR5 records it "
        f"({len(queue)} episodes): those whose subtasks miss a boundary by over {TOLERANCE_S:g} s "
        f"in the queue's top quarter ({len(top)})",
        "chance: 1/4",
        f"{sum(k in top for k in missing)}/{len(missing)} (ranks {', '.join(map(str, ranks))})",
        f"{sum(k in top for k in missing) / max(len(missing), 1):.2f}",
    )


def _rows(subtasks: list[str]) -> list[tuple[int, str]]:
    """Per-step subtasks as label rows: (first step, subtask) where each starts."""
    return [(t, s) for t, s in enumerate(subtasks) if t == 0 or s != subtasks[t - 1]]


def _real(name: str, labels_path: Path, folder: Path, work: Path) -> tuple[Row, list[int]]:
    """The row of one labelled set, and (held, worst, held, worst rounded up) for the pooled row."""
    from ecot_annotate.config import AnnotateConfig
    from ecot_annotate.inspect.quality import read_summary, summary_control_hz
    from ecot_annotate.inspect.score_run import predictions, read_labels
    from ecot_annotate.profiles.resolve import NO_CAMERA
    from ecot_annotate.review.queue import build_queue
    from ecot_annotate.sources.detect import resolve_source
    from ecot_annotate.store.corrections import Corrections
    from pipelines.run import run

    out = work / name
    source = resolve_source(str(folder))  # the rules queue reads no frames: none are decoded
    run(AnnotateConfig(str(folder), str(out), source, camera=NO_CAMERA, formats=("parquet",)))
    hz = summary_control_hz(read_summary(out))
    labels = read_labels(labels_path)
    scored = [
        episode_boundaries(p.key, p.subtasks, labels[p.key], hz)
        for p in predictions(out, set(labels), corrected=False)
    ]
    queue = [item.key for item in build_queue(out, Corrections([], ""))]
    for b in sorted(scored, key=lambda b: (b.f1, -b.distance_s)):
        print(f"   {b.key}: F1 {b.f1:.2f}, {b.distance_s:.2f} s off, queue rank {queue.index(b.key) + 1} of {len(queue)}")  # fmt: skip
    held, worst = worst_in_top(queue, scored)
    held_up, worst_up = worst_in_top(queue, scored, rounded_up=True)
    held_labelled, _ = worst_in_top([k for k in queue if k in labels], scored)
    row = Row(
        f"review queue on {name} ({len(queue)} real episodes, {len(scored)} hand-labelled): the "
        f"worst-bounded quarter of the labelled (F1 within {TOLERANCE_S:g} s) in the queue's top quarter",
        "chance: 1/4",
        f"{held}/{worst} (queue of the labelled only: {held_labelled}/{worst})",
        f"{held / worst:.2f} (needed: 0.50)",
    )
    return row, [held, worst, held_up, worst_up]


def main() -> list[Row]:
    from benchmarks.bench_subtasks import DATASETS, LABELS, data_root

    rows, real = [], 0
    root = data_root()
    pooled = [0, 0, 0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(_planted(Path(tmp) / "planted"))
        rows.append(_command_only(Path(tmp) / "command-only"))
        for data in DATASETS:
            path = root / data.folder
            if not (path / "meta" / "info.json").is_file():
                print(f"   {data.folder}: skipped, not at {path}; fetch: {data.fetch_hint(root)}")
                continue
            row, counts = _real(data.folder, LABELS / data.labels, path, Path(tmp))
            rows.append(row)
            real += 1
            pooled = [a + b for a, b in zip(pooled, counts, strict=True)]
    if pooled[1] and real > 1:
        rows.append(
            Row(
                f"review queue on {real} hand-labelled real sets: their worst-bounded "
                "quarters in their queues' top quarters",
                "chance: 1/4",
                f"{pooled[0]}/{pooled[1]} (the quarter rounded up: {pooled[2]}/{pooled[3]})",
                f"{pooled[0] / pooled[1]:.2f} (needed: 0.50)",
            )
        )
    return rows
