"""How one episode moved, in a few numbers, so it can be set beside the other episodes of its run.

The motion stage computes these once, from the track it names the primitives from, and keeps them
with the annotation (`Annotation.motion_stats`); the review queue compares each episode with the
rest of its run (`inspect/evidence.py`) without reading the dataset again. Every figure is per
episode, in the track's own units and steps, which the episodes of one run share; none needs the
control rate.
"""

from __future__ import annotations

from itertools import groupby

import numpy as np

from ecot_annotate.geometry.motion import STOP


def _gripper(primitive: str) -> str:
    """What a primitive says the gripper does: close, open, or nothing."""
    return next((kind for kind in ("close", "open") if f"{kind} gripper" in primitive), "")


def motion_statistics(positions: np.ndarray, prims: list[str]) -> dict[str, float]:
    """One arm's figures: `positions` (T, k) its end-effector xyz, or its joints where it has no
    kinematic model; `prims` its primitives (the gripper events and pauses are read from them).

    - steps: how long the episode is;
    - path length: the distance the track covers, step by step;
    - speed: path length per step;
    - jitter: how much the step vector changes from one step to the next, as a share of the path
      (the summed second difference over the summed first): a smooth path is near 0, a path
      shaken by noise near 2, and the figure does not depend on the units;
    - gripper switches: closes and opens, each a run of primitives naming it (a task has a set
      number of grasps, whatever its length, so this is a count, not a rate);
    - pause share: the share of steps whose primitive is `stop`.
    """
    track = np.asarray(positions, dtype=np.float64)
    steps = len(prims)
    first = np.linalg.norm(np.diff(track, axis=0), axis=1) if len(track) > 1 else np.zeros(0)
    second = np.linalg.norm(np.diff(track, 2, axis=0), axis=1) if len(track) > 2 else np.zeros(0)
    path = float(first.sum())
    return {
        "steps": float(steps),
        "path length": path,
        "speed": path / max(len(first), 1),
        "jitter": float(second.sum()) / path if path > 0 else 0.0,
        "gripper switches": float(sum(1 for kind, _ in groupby(map(_gripper, prims)) if kind)),
        "pause share": sum(p == STOP for p in prims) / max(steps, 1),
    }
