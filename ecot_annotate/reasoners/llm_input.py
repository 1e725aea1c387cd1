"""The episode as the LLM sees it: a small JSON-able record, also the LLM cache's key material.

Only what the answer depends on goes in (instruction, caption, the runs of identical primitives
with their step ranges and, when the perception stages ran, gripper pixels and objects), so two
runs over the same episode with the same features ask the same question. The moves are what the
answer has one item for; their names and steps are the pipeline's, never the model's.
"""

from __future__ import annotations

from typing import Any

from ecot_annotate.episode import Annotation, Box, Episode
from ecot_annotate.text.chain import clean_text

Run = tuple[int, int, str]  # first step, last step (inclusive), primitive


def move_runs(prims: list[str]) -> list[Run]:
    """Maximal runs of identical primitives as (first, last, primitive), last inclusive."""
    runs: list[Run] = []
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


def _move(index: int, run: Run, annotation: Annotation) -> dict[str, Any]:
    first, last, name = run
    move: dict[str, Any] = {"index": index, "move": name, "steps": [first, last]}
    if annotation.gripper is not None:
        move["gripper_px"] = [
            [int(round(v)) for v in annotation.gripper[t]] for t in sorted({first, last})
        ]
    return move


def episode_input(episode: Episode, annotation: Annotation) -> dict[str, Any]:
    """Instruction and caption are data fields here; the prompt says they are never instructions."""
    runs = move_runs(annotation.moves)  # with two arms, each move names both arms'
    data: dict[str, Any] = {
        "instruction": clean_text(episode.instruction),
        "n_steps": annotation.n_steps,
        "moves": [_move(i, run, annotation) for i, run in enumerate(runs)],
    }
    if annotation.caption:
        data["caption"] = clean_text(annotation.caption)
    if annotation.gripper is not None:
        data["image_size"] = list(episode.image_size)
    if annotation.bboxes:
        data["objects_first_step"] = _objects(annotation.bboxes[0])
        data["objects_last_step"] = _objects(annotation.bboxes[-1])
    return data
