"""Planted defects: known wrong episodes in the generated sample, to measure the review queue.

Each defect is planted where it arises in practice, and the product then handles it as it would
any episode:
- in the recording, before anything reads it: `inverted gripper` (the gripper value of state and
  action is 1 - opening, as in a dataset whose gripper convention is the other way round) and
  `jittered state` (noise of JITTER_M on the state's xyz, as from a loose encoder);
- in the chain, in the committed annotation a reasoner wrote (`OUT/manifest/episodes/`), which is
  what every output format is written from: `shifted subtask` (the grasp subtask starts
  SHIFT_STEPS steps late) and `wrong move direction` (the move reasons of one motion name the
  opposite direction). A rerun of `annotate` on the run folder then writes every format from
  those annotations, as it does for any committed episode.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import numpy as np

from ecot_annotate.episode import Annotation
from ecot_annotate.store.corrections import subtask_segments
from ecot_annotate.store.manifest import Manifest
from ecot_annotate.text.plan_motion import GRASP_ACTS

INVERTED_GRIPPER = "inverted gripper"
JITTERED_STATE = "jittered state"
SHIFTED_SUBTASK = "shifted subtask"
WRONG_DIRECTION = "wrong move direction"
RECORDING_DEFECTS = (INVERTED_GRIPPER, JITTERED_STATE)
CHAIN_DEFECTS = (SHIFTED_SUBTASK, WRONG_DIRECTION)
DEFECTS = RECORDING_DEFECTS + CHAIN_DEFECTS
SHIFT_STEPS = 10
JITTER_M = 0.004  # five times the sample's sensor noise: the path is still there, shaken
GRIPPER = 6  # the sample's state and action: [x, y, z, roll, pitch, yaw, gripper]
OPPOSITE = {
    "left": "right",
    "right": "left",
    "forward": "backward",
    "backward": "forward",
    "up": "down",
    "down": "up",
}
_DIRECTION = re.compile(r"\b(" + "|".join(OPPOSITE) + r")\b")


def _invert_gripper(steps: list[dict], rng: np.random.Generator) -> None:
    for step in steps:
        step["observation"]["state"][GRIPPER] = 1.0 - step["observation"]["state"][GRIPPER]
        step["action"][GRIPPER] = 1.0 - step["action"][GRIPPER]


def _jitter_state(steps: list[dict], rng: np.random.Generator) -> None:
    for step in steps:
        noise = rng.normal(0.0, JITTER_M, 3).astype(np.float32)
        step["observation"]["state"][:3] += noise


_RECORDING = {INVERTED_GRIPPER: _invert_gripper, JITTERED_STATE: _jitter_state}


def recording_planter(planted: dict[int, str], seed: int = 0) -> Callable[[int, dict], dict]:
    """A function `write_sample` passes each episode through: it plants the recording defects of
    `planted` (episode index -> defect) and leaves every other episode as it was."""

    def plant(index: int, episode: dict) -> dict:
        defect = planted.get(index)
        if defect in _RECORDING:
            _RECORDING[defect](episode["steps"], np.random.default_rng([seed, index]))
        return episode

    return plant


def shift_subtask(annotation: Annotation, by: int = SHIFT_STEPS) -> Annotation:
    """The grasp subtask (the first that names a grasp) moves `by` steps later: the subtask before
    it runs on over its first `by` steps and the one after it starts `by` steps later. The moves
    and their reasons stay where they were, as in a chain that misplaced the subtask."""
    segments = subtask_segments([r.subtask for r in annotation.reasoning])
    index = next((i for i, s in enumerate(segments) if GRASP_ACTS.search(s[2].lower())), None)
    if not index:
        raise ValueError("the episode has no grasp subtask after its first subtask to shift")
    first, last, _ = segments[index]
    old = list(annotation.reasoning)
    for t in range(first, min(last + by + 1, len(old))):
        source = old[t - by] if t - by >= first else old[first - 1]
        annotation.reasoning[t] = dataclasses.replace(
            old[t], plan=source.plan, subtask=source.subtask, subtask_reason=source.subtask_reason
        )
    return annotation


def wrong_direction(annotation: Annotation) -> Annotation:
    """The move reasons of the first motion that has a direction name its opposite (left for
    right, up for down...), on every step of that motion."""
    reasons = [r.move_reason for r in annotation.reasoning]
    start = next((t for t, text in enumerate(reasons) if _DIRECTION.search(text)), None)
    if start is None:
        raise ValueError("no move reason of the episode names a direction")
    move = annotation.reasoning[start].move
    t = start
    while t < len(reasons) and annotation.reasoning[t].move == move:
        flipped = _DIRECTION.sub(lambda m: OPPOSITE[m.group(1)], reasons[t])
        annotation.reasoning[t] = dataclasses.replace(annotation.reasoning[t], move_reason=flipped)
        t += 1
    return annotation


_CHAIN = {SHIFTED_SUBTASK: shift_subtask, WRONG_DIRECTION: wrong_direction}


def plant_chains(out: str, planted: dict[str, str]) -> None:
    """Plant the chain defects of `planted` (episode key -> defect) in the committed annotations
    of run `out`; a rerun of `annotate` on `out` then writes them to every format."""
    manifest = Manifest(out)
    for key, defect in planted.items():
        if defect not in _CHAIN:
            continue
        annotation = manifest.load(key)
        if annotation is None:
            raise ValueError(f"episode {key!r} is not committed in {out}")
        manifest.commit(key, _CHAIN[defect](annotation))
