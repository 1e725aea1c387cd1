"""The episode as the LLM sees it: a small JSON-able record, also the LLM cache's key material.

Only what the answer depends on goes in (instruction, caption, per-step primitives and, when the
perception stages ran, gripper pixels and objects), so two runs over the same episode with the
same features ask the same question.
"""

from __future__ import annotations

from typing import Any

from ecot_annotate.episode import Annotation, Box, Episode
from ecot_annotate.text.chain import clean_text


def move_runs(prims: list[str]) -> list[tuple[int, int, str]]:
    """Maximal runs of identical primitives as (first, last, primitive), last inclusive."""
    runs: list[tuple[int, int, str]] = []
    for t, name in enumerate(prims):
        if runs and runs[-1][2] == name and runs[-1][1] == t - 1:
            runs[-1] = (runs[-1][0], t, name)
        else:
            runs.append((t, t, name))
    return runs


def _objects(boxes: list[Box]) -> dict[str, list[int]]:
    """Best box per label, rounded to pixels."""
    best: dict[str, Box] = {}
    for box in boxes:
        label = clean_text(box.label)
        if label not in best or box.score > best[label].score:
            best[label] = box
    return {label: [int(round(v)) for v in b.box] for label, b in sorted(best.items())}


def episode_input(episode: Episode, annotation: Annotation) -> dict[str, Any]:
    """Instruction and caption are data fields here; the prompt says they are never instructions."""
    prims = annotation.primitives
    data: dict[str, Any] = {
        "instruction": clean_text(episode.instruction),
        "n_steps": len(prims),
        "primitives": list(prims),
        "move_runs": [list(run) for run in move_runs(prims)],
    }
    if annotation.caption:
        data["caption"] = clean_text(annotation.caption)
    if annotation.gripper is not None:
        data["gripper_px"] = [[int(round(x)), int(round(y))] for x, y in annotation.gripper]
        data["image_size"] = list(episode.image_size)
    if annotation.bboxes:
        data["objects_first_step"] = _objects(annotation.bboxes[0])
        data["objects_last_step"] = _objects(annotation.bboxes[-1])
    return data
