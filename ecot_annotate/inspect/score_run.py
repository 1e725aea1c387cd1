"""Score a finished run: its Parquet steps against the dataset's ground truth or human labels.

Ground truth comes from the dataset the run read (the profile's `ground_truth_key`, as in the
generated sample: per step the true phase, primitive, gripper pixel and object boxes). Human
labels come from a JSONL file of `{"episode": KEY, "step": N, "subtask": TEXT}` lines: each line
says which subtask runs from that step on, so one line per segment is enough (one per step works
too). Only the episodes that have truth or labels are scored.

A review folder (`OUT/review`, see store/corrections.py) is read as labels too: each episode
people accepted or corrected is the truth as they left it (subtask boundaries and texts, and the
moves at the steps where they corrected a move), and the machine's first pass, before any
correction, is scored against it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.dataset as pads

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import Episode, name_arms
from ecot_annotate.errors import EpisodeError, InputError
from ecot_annotate.inspect.quality import (
    read_summary,
    run_stats,
    summary_control_hz,
    summary_event_lead,
)
from ecot_annotate.inspect.score import TOLERANCE_S, EpisodePrediction, EpisodeTruth, Scorer
from ecot_annotate.store.correction_changes import FieldEdit
from ecot_annotate.store.corrections import Corrections, read_lines, run_config_hash
from ecot_annotate.store.manifest import Manifest
from ecot_annotate.store.run_config import profiled_config
from ecot_annotate.store.run_output import open_steps

_COLUMNS = (
    "episode_key",
    "step",
    "subtask",
    "primitive",
    "arm_primitives",
    "move",
    "bboxes",
    "gripper_position",
    "image_width",
)


def _named(arms: list | None, part: slice) -> list[str] | None:
    """Two arms: each step's move naming every arm's primitive, as the move text does."""
    if arms is None or any(a is None for a in arms[part]):
        return None
    return [name_arms({a["arm"]: a["primitive"] for a in step}) for step in arms[part]]


def _per_arm(arms: list | None, part: slice) -> dict[str, list[str]] | None:
    """Two arms: each arm's primitive per step."""
    if arms is None or any(a is None for a in arms[part]):
        return None
    out: dict[str, list[str]] = {}
    for step in arms[part]:
        for a in step:
            out.setdefault(a["arm"], []).append(a["primitive"])
    return out


def _truth_arms(gt: dict, name: str) -> dict[str, list[str]] | None:
    """Per-arm truth stored as `ARM.NAME` (`left.primitive`, `right.phase`)."""
    found = {
        key.removesuffix(f".{name}"): _texts(values)
        for key, values in gt.items()
        if key.endswith(f".{name}")
    }
    return found or None


def _texts(values: np.ndarray) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def truth_from_episode(episode: Episode) -> EpisodeTruth | None:
    """The ground truth an episode carries (the generated sample's), or None."""
    gt = episode.ground_truth
    if not gt:
        return None
    return EpisodeTruth(
        key=episode.key,
        subtasks=_texts(gt["phase"]) if "phase" in gt else None,
        primitives=_texts(gt["primitive"]) if "primitive" in gt else None,
        gripper=gt["gripper_pixel"].astype(float) if "gripper_pixel" in gt else None,
        boxes=gt["object_boxes"].astype(float) if "object_boxes" in gt else None,
        names=_texts(gt["object_names"]) if "object_names" in gt else None,
        image_width=episode.image_size[0],
        arm_primitives=_truth_arms(gt, "primitive"),
        arm_subtasks=_truth_arms(gt, "phase"),
    )


def read_labels(path: str | Path) -> dict[str, list[tuple[int, str]]]:
    """Human subtask labels per episode key, as (first step, subtask) sorted by step."""
    labels: dict[str, list[tuple[int, str]]] = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            key, step, subtask = str(row["episode"]), int(row["step"]), str(row["subtask"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"{path}:{number}: expected {{'episode': KEY, 'step': N, 'subtask': TEXT}}: {exc}"
            ) from exc
        labels.setdefault(key, []).append((step, subtask))
    return {key: sorted(rows) for key, rows in labels.items()}


def labelled_subtasks(rows: list[tuple[int, str]], n_steps: int) -> list[str]:
    """Per step, the subtask of the last label at or before it ('' before the first label)."""
    out, current, pending = [], "", list(rows)
    for t in range(n_steps):
        while pending and pending[0][0] <= t:
            current = pending.pop(0)[1]
        out.append(current)
    return out


def predictions(
    run: str | Path, keys: set[str] | None = None, corrected: bool = True
) -> Iterator[EpisodePrediction]:
    """The run's episodes (as people corrected them, unless not `corrected`), in key order (only
    `keys` when given)."""
    dataset = open_steps(run, corrected=corrected)
    columns = [c for c in _COLUMNS if c in dataset.schema.names]
    filter_ = pads.field("episode_key").isin(sorted(keys)) if keys is not None else None
    table = dataset.to_table(columns=columns, filter=filter_).sort_by(
        [("episode_key", "ascending"), ("step", "ascending")]
    )
    rows = table.to_pydict()
    start = 0
    n = table.num_rows
    while start < n:
        key = rows["episode_key"][start]
        end = start
        while end < n and rows["episode_key"][end] == key:
            end += 1
        part = slice(start, end)
        gripper = rows["gripper_position"][part]
        boxes = rows["bboxes"][part] if "bboxes" in rows else [None]
        yield EpisodePrediction(
            key=key,
            subtasks=rows["subtask"][part],
            primitives=rows["primitive"][part],
            moves=rows["move"][part],
            gripper=None
            if any(g is None for g in gripper)
            else np.asarray([g[:2] for g in gripper], dtype=float),
            boxes=None if any(b is None for b in boxes) else boxes,
            image_width=int(rows["image_width"][start]),
            named=_named(rows.get("arm_primitives"), part),
            arm_primitives=_per_arm(rows.get("arm_primitives"), part),
        )
        start = end


def score_predictions(
    preds: Iterator[EpisodePrediction],
    truths: dict[str, EpisodeTruth],
    labels: dict[str, list[tuple[int, str]]] | None = None,
    scorer: Scorer | None = None,
) -> dict:
    """Pool the figures over every predicted episode that has truth or labels."""
    scorer = scorer or Scorer()
    for pred in preds:
        truth = truths.get(pred.key)
        if labels is not None:
            if pred.key not in labels:
                continue
            truth = EpisodeTruth(
                key=pred.key, subtasks=labelled_subtasks(labels[pred.key], len(pred.subtasks))
            )
        if truth is not None:
            scorer.add(truth, pred)
    return scorer.figures()


def dataset_truths(config: AnnotateConfig) -> dict[str, EpisodeTruth]:
    """Ground truth of every readable episode of the dataset a run read, where its profile (as
    the run recorded it) names the ground truth."""
    from ecot_annotate.sources import SOURCES
    from ecot_annotate.sources.base import Unreadable, episode_refs

    profile = config.dataset_profile
    if not profile.ground_truth_key:
        return {}
    dataset = SOURCES.get(config.source).open(config.input, config.split)
    reader = dataset.reader(profile)
    truths: dict[str, EpisodeTruth] = {}
    try:
        for ref in episode_refs(dataset):
            if isinstance(ref, Unreadable):
                continue
            try:
                truth = truth_from_episode(reader.read(ref))
            except EpisodeError:
                continue  # the run quarantined it: nothing of it to score
            if truth is not None:
                truths[truth.key] = truth
    finally:
        reader.close()
    return truths


def review_truths(run: str | Path, folder: str | Path) -> tuple[dict[str, EpisodeTruth], dict]:
    """The truth people set in a review folder, per episode they accepted or corrected, and the
    review's counts."""
    corrections = Corrections(read_lines(Path(folder) / "corrections.jsonl"), run_config_hash(run))
    manifest = Manifest(str(run))
    truths = {}
    for key, review in corrections.episodes.items():
        annotation = manifest.load(key)
        if review.status not in ("accepted", "corrected") or annotation is None:
            continue
        fixed = corrections.apply(key, annotation)
        moved = sorted(
            {
                t
                for line in review.edits
                if isinstance(line.change, FieldEdit) and line.change.field == "move"
                for t in line.change.steps
            }
        )
        truths[key] = EpisodeTruth(
            key=key,
            subtasks=[r.subtask for r in fixed.reasoning],
            primitives=fixed.moves if moved else None,
            primitive_steps=moved or None,
        )
    counts = corrections.counts()
    judged = counts["accepted"] + counts["corrected"]
    counts["accepted_unchanged_share"] = round(counts["accepted"] / judged, 4) if judged else None
    return truths, counts


def score_run(
    run: str | Path, labels_path: str | Path | None = None, tolerance_s: float = TOLERANCE_S
) -> dict:
    """Figures of a finished run against human labels, else the ground truth of its dataset;
    boundaries within `tolerance_s` seconds (at the run's control rate) count as matched."""
    if tolerance_s <= 0:
        raise InputError(f"--tolerance-s must be positive, got {tolerance_s}")
    summary = read_summary(run)
    scorer = Scorer(tolerance_s, summary_control_hz(summary), summary_event_lead(summary))
    if labels_path is not None and Path(labels_path).is_dir():
        truths, counts = review_truths(run, labels_path)
        if not truths:
            raise InputError(
                f"{labels_path} holds no accepted or corrected episode to score against"
            )
        preds = predictions(run, set(truths), corrected=False)
        figures = score_predictions(preds, truths, scorer=scorer)
        return {"against": f"review ({labels_path})", "review": counts, **figures}
    if labels_path is not None:
        labels = read_labels(labels_path)
        figures = score_predictions(predictions(run, set(labels)), {}, labels, scorer)
        return {
            "against": f"human labels ({Path(labels_path).name})",
            **figures,
            "text_checks": run_stats(run)["text_checks"],
        }
    if not summary:
        raise InputError(f"{run} has no summary.json: cannot tell which dataset it annotated")
    truths = dataset_truths(profiled_config(str(run)))
    if not truths:
        raise InputError(
            f"the dataset {summary['input']} carries no ground truth "
            f"(profile '{summary['profile']}'): pass human labels as a JSONL file"
        )
    figures = score_predictions(predictions(run, set(truths)), truths, scorer=scorer)
    return {
        "against": "dataset ground truth",
        **figures,
        "text_checks": run_stats(run)["text_checks"],
    }
