"""Where a gripper closes and opens, from one recorded gripper signal, noise and all.

Real grippers jitter, report in any unit, open wider after a release than before a grasp, and
are sometimes only a binary command that flips late. An event here is a change of the (median
smoothed) signal by at least CHANGE_SHARE of its span in this episode, and at least `min_span`,
within CHANGE_S, that holds for MIN_HOLD_S: jitter and short twitches do neither. A falling signal
closes, a rising one opens (larger = more open). A continuous signal's event starts where it
leaves the level it held (its onset) and ends where it settles; a binary command's is its flip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import median_filter

from ecot_annotate.geometry.arm_speed import true_runs

CHANGE_S = 1.0  # a change completes within this time
CHANGE_SHARE = 0.3  # ... by at least this share of the signal's span in the episode
MIN_HOLD_S = 0.15  # and holds this long
SMOOTH_S = 0.2  # median filter over this span first (spikes, jitter)
SETTLED = 0.15  # within this share of a change of its level, the signal is at that level
BINARY_LEVELS = 2  # at most this many distinct values: a command, not a measurement


@dataclass(frozen=True)
class GripperEvent:
    kind: str  # close | open
    onset: int  # the step the gripper starts to move (a binary command: its flip)
    end: int  # the step it has settled at its new level
    binary: bool  # a signal of two values, which may flip late
    source: str  # which recorded signal: "state gripper", "action gripper command", ...
    command: bool = False  # what the gripper was told (the action), not what it did


def is_binary(signal: np.ndarray) -> bool:
    return len(np.unique(np.round(np.asarray(signal, dtype=np.float64), 6))) <= BINARY_LEVELS


def gripper_events(
    signal: np.ndarray,
    hz: float,
    min_span: float,
    source: str,
    open_is_high: bool = True,
    command: bool = False,
    settle: float | None = None,
) -> list[GripperEvent]:
    """Close and open events of one signal (larger = more open unless `open_is_high` is False);
    `command`: the signal is what the gripper was told to do; `settle`: it has settled when what
    is left of its change is below this (the motion primitives' gripper threshold, so that an
    event ends where the primitives stop naming it), else SETTLED of the change."""
    values = np.asarray(signal, dtype=np.float64)
    if len(values) < 2 or not np.all(np.isfinite(values)):
        return []
    if not open_is_high:
        values = -values
    binary = is_binary(values)
    if not binary:
        values = median_filter(values, size=max(1, round(SMOOTH_S * hz)) | 1, mode="nearest")
    span = float(np.ptp(values))  # after the median filter: spikes are gone
    if span <= 0 or (not binary and span < min_span):
        return []
    hold = max(1, round(MIN_HOLD_S * hz))
    window = max(1, round(CHANGE_S * hz))
    found = _flips(values, hold) if binary else _steps(values, window, hold, span, min_span, settle)
    return [
        GripperEvent("close" if rise < 0 else "open", onset, end, binary, source, command)
        for onset, end, rise in _joined(sorted(found), window)
    ]


def _joined(found: list[tuple[int, int, float]], window: int) -> list[tuple[int, int, float]]:
    """Changes one way that follow each other within `window` steps (a close that pauses half
    way) as one change."""
    out: list[tuple[int, int, float]] = []
    for onset, end, change in found:
        if out and out[-1][2] * change > 0 and onset <= out[-1][1] + window:
            first, _, before = out[-1]
            out[-1] = (first, max(end, out[-1][1]), before + change)
        else:
            out.append((onset, end, change))
    return out


def _steps(
    x: np.ndarray, window: int, hold: int, span: float, min_span: float, settle: float | None
) -> list[tuple[int, int, float]]:
    """(onset, end, change) of every change by more than the threshold within `window` steps:
    from the last step at the level it leaves to the first at the level it reaches, which it
    then holds for `hold` steps."""
    n = len(x)
    # every value within `window` steps ahead: a close that opens again within the window (a
    # quick regrasp, a short clip) still shows as the low it reaches
    ahead = sliding_window_view(np.concatenate([x, np.full(window, x[-1])]), window + 1)
    threshold = max(min_span, CHANGE_SHARE * span)
    found = []
    for sign, farthest in ((-1.0, ahead.min(axis=1)), (1.0, ahead.max(axis=1))):
        for a, b in true_runs(sign * (farthest - x) > threshold):
            part = x[a : min(b - 1 + window, n - 1) + 1]
            left = int(np.argmax(-sign * part[: b - a]))  # the level it leaves (high for a close)
            reached = int(np.argmax(sign * part[left:])) + left
            far, near = part[left], part[reached]
            tolerance = SETTLED * abs(near - far)
            while left + 1 < reached and abs(part[left + 1] - far) <= tolerance:
                left += 1
            arrive = left
            left_over = tolerance if settle is None else min(tolerance, settle)
            while arrive < reached and abs(part[arrive] - near) > left_over:
                arrive += 1
            kept = x[a + arrive : a + arrive + hold]
            if np.all(sign * (kept - (far + near) / 2) > 0):
                found.append((a + left, a + arrive, float(near - far)))
    return found


def _flips(x: np.ndarray, hold: int) -> list[tuple[int, int, float]]:
    """(step, step, change) of every flip of a binary signal that holds `hold` steps."""
    found, level = [], x[0]
    for t in range(1, len(x)):
        if x[t] != level and np.all(x[t : t + hold] == x[t]):
            found.append((t, t, float(x[t] - level)))
            level = x[t]
    return found
