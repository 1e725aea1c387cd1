"""How fast an arm moves, and where it stands still: the speed signal subtask boundaries read.

An approach slows and stops where the gripper takes hold; a lift or a retreat starts where the
arm moves again, at the moving level. Speed is the track's displacement across a short centred
window (0.3 s) divided by its time, so sensor noise and a camera's repeated frames do not count
as motion, and the thresholds are relative to how fast this arm moves in this episode (its 90th
percentile), with a floor from the motion primitives' own threshold so that an arm at rest is
never "moving" in its noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPEED_WINDOW_S = 0.3  # the centred window speed is measured over
STILL_SHARE = 0.2  # still below this share of the arm's brisk speed (90th percentile)
HELD_SHARE = 0.08  # held against something (pressing, blocked) below this share
MOVING_SHARE = 0.35  # moving again above this share
BRISK_SHARE = 0.6  # a motion that sets off (a lift, a retreat) reaches this share
MIN_STILL_S = 0.25  # a stop lasts at least this long
MIN_MOVE_S = 0.3  # a motion that sets off lasts at least this long


@dataclass(frozen=True)
class ArmSpeed:
    """One arm's speed per step (track units per second) and the levels it is judged by."""

    speed: np.ndarray  # (T,)
    still: float  # below: the arm stands still
    moving: float  # above: the arm moves
    brisk: float  # the arm's 90th percentile speed in this episode
    hz: float  # steps per second

    @property
    def active(self) -> bool:
        """The arm moves at all in this episode (its brisk speed clears the floor)."""
        return self.brisk > self.moving

    def path(self) -> np.ndarray:
        """Distance travelled up to each step (track units), for comparing stretches of motion."""
        return np.concatenate([[0.0], np.cumsum(self.speed[:-1] / self.hz)])

    def stops(self) -> list[tuple[int, int]]:
        """(first, last + 1) of every stretch of at least MIN_STILL_S below the still level."""
        still = self.speed < self.still
        return [
            (a, b) for a, b in true_runs(still) if b - a >= max(2, round(MIN_STILL_S * self.hz))
        ]

    def held(self, start: int, end: int) -> int:
        """The first step in [start, end) from which the arm stays below HELD_SHARE of its brisk
        speed for MIN_STILL_S (held against something), else `start`."""
        need = max(2, round(MIN_STILL_S * self.hz))
        for a, b in true_runs(self.speed[start:end] < HELD_SHARE * self.brisk):
            if b - a >= need:
                return start + a
        return start

    def motion_onset(self, start: int, end: int | None = None) -> int | None:
        """The first step at or after `start` (before `end`) where the arm sets off: where it
        reaches the moving level, starting a stretch above it that lasts MIN_MOVE_S (or runs to
        the episode's end) and reaches BRISK_SHARE of the arm's brisk speed. A person sees a
        lift or a retreat where the motion is sustained (LABELLING.md), not where the arm first
        creeps off the still level. Adjusting in place does not set off. None when the arm does
        not set off again."""
        end = len(self.speed) if end is None else end
        need = max(1, round(MIN_MOVE_S * self.hz))
        moving = self.speed >= self.moving
        for a, b in true_runs(moving[start:end]):
            lasts = b - a >= need or start + b == len(self.speed)
            if lasts and self.speed[start + a : start + b].max() >= BRISK_SHARE * self.brisk:
                return start + a
        return None


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last + 1) of every run of True."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def arm_speed(track: np.ndarray, hz: float, floor: float) -> ArmSpeed:
    """The speed of a (T, D) track sampled at `hz`; `floor` is the speed (track units per
    second) below which no arm counts as moving, whatever its episode looks like."""
    values = np.asarray(track, dtype=np.float64)
    n = len(values)
    if n < 2:
        return ArmSpeed(np.zeros(n), floor / 2, floor, 0.0, hz)
    values = values.reshape(n, -1)
    half = max(1, round(SPEED_WINDOW_S * hz / 2))
    ahead = values[np.minimum(np.arange(n) + half, n - 1)]
    behind = values[np.maximum(np.arange(n) - half, 0)]
    span = np.minimum(np.arange(n) + half, n - 1) - np.maximum(np.arange(n) - half, 0)
    speed = np.linalg.norm(ahead - behind, axis=1) / (span / hz)
    brisk = float(np.percentile(speed, 90))
    return ArmSpeed(
        speed,
        still=max(STILL_SHARE * brisk, floor / 2),
        moving=max(MOVING_SHARE * brisk, floor),
        brisk=brisk,
        hz=hz,
    )
