"""Two arms folding a cloth in half together, as a two-arm SO-101 recording of a cloth fold has it.

Each arm takes a near corner of the cloth and folds it onto the far one: reach, grasp, lift and
carry over, release, retreat (`script_trajectory`'s pick-and-place, at the same speed for both
arms, as one person moving two leader arms does), the second arm a random 0-0.4 s behind the
first. Each arm works in its own base frame; the second arm's corner mirrors the first's across
the cloth, a few centimetres off, so the two phases of one kind end a few steps apart.

The task's phase, as a person labels it from the frames, is the phase the first arm to start it
is in: both arms grasping within a moment of each other is one grasp (LABELLING.md: "Two arms:
label what the task does").
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ecot_annotate.sample.generate import Scene, script_trajectory
from ecot_annotate.sample.truth import PHASES, Variant

TASK = "fold the cloth in half"
DELAY_S = 0.4  # the second arm starts up to this long after the first
CORNER = ("cloth corner", (245, 245, 240), "box", 0.02)
CLOTH = ("cloth", (150, 170, 200), "box", 0.07)
SENSOR_NOISE = 0.0008  # metres: the path's noise, as script_trajectory adds it


def _corner_fold(rng: np.random.Generator, mirror: float, first: tuple | None = None) -> tuple:
    """(near corner, far corner, start) in the arm's own frame: the second arm (`mirror` -1)
    mirrors the first arm's corners across the cloth, a few centimetres off."""
    if first is None:
        pick = np.array([rng.uniform(0.22, 0.27), rng.uniform(0.06, 0.12), 0.0])
        place = pick + np.array([rng.uniform(0.14, 0.18), rng.uniform(-0.01, 0.01), 0.0])
    else:
        off = np.array([*rng.uniform(-0.02, 0.02, 2), 0.0])
        pick = first[0] * [1, mirror, 1] + off
        place = first[1] * [1, mirror, 1] + off + [rng.uniform(-0.01, 0.01), 0.0, 0.0]
    start = np.array([0.25, rng.uniform(-0.05, 0.05), 0.2])
    return pick, place, start


def fold_scripts(rng: np.random.Generator, variant: Variant) -> tuple[Scene, Scene, int]:
    """Each arm's scene (its corner, the cloth and its scripted fold) and the steps the second
    arm starts after the first."""
    seed = int(rng.integers(2**32))
    scenes = []
    first = None
    for mirror in (1.0, -1.0):
        pick, place, start = _corner_fold(rng, mirror, first)
        first = first or (pick, place)
        # the same generator for both arms: the same speed; the sensor noise is each arm's own
        script = script_trajectory(pick, place, start, np.random.default_rng(seed), variant.rate)
        noisy = script.clean + rng.normal(0, SENSOR_NOISE, script.clean.shape)
        script = dataclasses.replace(script, positions=noisy)
        cloth = (pick + place) / 2 + [0.0, -0.07 * mirror, 0.0]
        objects = [(*CORNER, pick), (*CLOTH, cloth)]
        scenes.append(Scene(objects, script, np.zeros(len(script.clean))))
    delay = round(rng.uniform(0, DELAY_S) * variant.control_hz)
    return scenes[0], scenes[1], delay


def task_phases(*arms: list[str]) -> list[str]:
    """Per step, the task's phase: the furthest any arm has got, so a phase starts where the first
    arm starts it."""
    return [max(step, key=PHASES.index) for step in zip(*arms, strict=True)]
