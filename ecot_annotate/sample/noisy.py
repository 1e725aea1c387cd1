"""A pick-and-place recorded the way real demonstrations are: with the noise subtasks trip on.

The scripted path (`script_noisy`) starts with the arm idle for a second or two, misses the
object on its first grasp (it closes beside it, on nothing), opens and retries, pauses half way
through the carry, and rests at the end. Recording it (`recorded_gripper`) adds what real
grippers do: the measured opening jitters and spikes, and the action holds the gripper only as a
binary command that flips late: it closes 1.0-1.5 s after the gripper visibly starts to close,
often once the lift has begun (a Dobot CR5's switches 1.2-1.4 s after the visible grasp), and
opens only as the arm moves off after the release. The true phase of each step is the scripted
segment, as a person labels it from the frames: the idle start and the pause belong to the
segment they interrupt, the failed grasp is a grasp and the reopening a retry.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ecot_annotate.sample.generate import Script, _segment

JITTER = 0.012  # the measured opening's noise, a share of its full span
SPIKE_RATE = 0.03  # steps with a spike
SPIKE = 0.06  # a spike's size, a share of the full span
MISS = 0.04  # metres beside the object the first grasp closes at
CLOSE_LAG_S = (1.0, 1.5)  # a binary close command lags the visible close by this much


def script_noisy(
    pick: np.ndarray, place: np.ndarray, start: np.ndarray, rng: np.random.Generator, rate: int
) -> Script:
    """One noisy pick-and-place at `rate` times Bridge's 5 Hz."""
    speed = rng.uniform(0.018, 0.026) / rate
    hover, grasp_z, place_z = 0.14, 0.025, 0.06
    path: list[np.ndarray] = [start]
    grip: list[float] = [1.0]
    segment: list[str] = []

    def go(target: np.ndarray, phase: str) -> None:
        for p in _segment(path[-1], target, speed):
            path.append(p)
            grip.append(grip[-1])
            segment.append(phase)

    def wait(seconds: float, phase: str) -> None:
        for _ in range(round(seconds * 5 * rate)):
            path.append(path[-1].copy())
            grip.append(grip[-1])
            segment.append(phase)

    def turn(opening: float, phase: str) -> None:
        """The gripper moves to `opening` over 0.6 s while the arm holds still."""
        before = grip[-1]
        for i in range(1, 3 * rate + 1):
            path.append(path[-1].copy())
            grip.append(before + (opening - before) * i / (3 * rate))
            segment.append(phase)

    beside = pick + np.array([0.0, MISS, 0.0])
    wait(rng.uniform(1.0, 2.0), "approach")  # idle start
    go(np.array([beside[0], beside[1], hover]), "approach")
    go(np.array([beside[0], beside[1], grasp_z]), "approach")
    turn(0.0, "grasp")  # closes on nothing
    wait(0.4, "grasp")
    turn(1.0, "retry")
    go(np.array([beside[0], beside[1], grasp_z + 0.04]), "retry")
    go(np.array([pick[0], pick[1], grasp_z + 0.04]), "retry")
    go(np.array([pick[0], pick[1], grasp_z]), "retry")
    turn(0.0, "grasp")
    wait(0.3, "grasp")
    go(np.array([pick[0], pick[1], hover]), "carry")
    go(np.array([(pick[0] + place[0]) / 2, (pick[1] + place[1]) / 2, hover]), "carry")
    wait(rng.uniform(0.6, 1.0), "carry")  # a pause on the way
    go(np.array([place[0], place[1], hover]), "carry")
    go(np.array([place[0], place[1], place_z]), "carry")
    turn(1.0, "release")
    wait(0.3, "release")
    go(np.array([place[0], place[1], hover + 0.04]), "retreat")
    wait(rng.uniform(0.5, 1.0), "retreat")  # rests at the end
    clean = np.array(path)
    positions = clean + rng.normal(0, 0.0008, (len(path), 3))
    return Script(positions, clean, np.array(grip), [*segment, segment[-1]])


def recorded_gripper(
    script: Script, rng: np.random.Generator, hz: float
) -> tuple[np.ndarray, np.ndarray]:
    """(measured opening with jitter and spikes, binary command), both 0..1, at `hz` steps a
    second. The command closes CLOSE_LAG_S after the gripper visibly starts to close, whether or
    not the arm has moved off by then, and opens only once the gripper has opened and the arm
    moves off (LABELLING.md: it switches back to open when the retreat starts)."""
    openings = script.openings
    n = len(openings)
    measured = openings + rng.normal(0, JITTER, n)
    spikes = rng.random(n) < SPIKE_RATE
    measured[spikes] += rng.choice([-SPIKE, SPIKE], spikes.sum())
    still = np.r_[np.linalg.norm(np.diff(script.clean, axis=0), axis=1) < 1e-9, True]
    closing = openings < 1 - 1e-6
    lag = round(rng.uniform(*CLOSE_LAG_S) * hz)
    closes = {t + lag for t in range(1, n) if closing[t] and not closing[t - 1]}
    command = np.empty(n)
    level = 1.0
    for t in range(n):
        if t in closes:
            level = 0.0
        elif level == 0.0 and openings[t] >= 0.5 and (not still[t] or t == n - 1):
            level = 1.0
        command[t] = level
    return np.clip(measured, -0.02, 1.02), command


def write_command_only_profile(root: Path, path: Path) -> Path:
    """Write to `path` the profile that reads the noisy sample at `root` as a Dobot CR5 records
    it: no gripper in the state, the gripper only as the action's late binary command."""
    from ecot_annotate.profiles.infer import infer_profile, require
    from ecot_annotate.profiles.toml_text import profile_toml
    from ecot_annotate.sources.lerobot import LeRobotFolder

    profile = require(infer_profile(LeRobotFolder.open(str(root)).layout()))
    (arm,) = profile.arms
    gripper = arm.gripper_index
    blind = dataclasses.replace(arm, gripper_index=None, gripper_action_index=gripper)
    path.write_text(profile_toml(dataclasses.replace(profile, arms=(blind,))))
    return path
