"""Which unit a dataset's joint positions are in, and turning them into radians for the FK.

Datasets rarely say their joint unit. The recorder's convention (from the arm's catalog entry) is
the first clue and the values' range the second: radians never exceed a few turns, LeRobot's range
mode stays within -100..100, degrees within a turn or two, and raw servo ticks are non-negative
integers up to 4095. `from_radians` writes angles back in a unit, as a recorder would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ecot_annotate.errors import InputError

if TYPE_CHECKING:
    from ecot_annotate.kinematics.chain import KinematicModel

JOINT_UNITS = ("radians", "degrees", "range", "ticks")

# Slack on each bound: recorders overshoot their nominal range by a little (servo noise,
# calibration drift), and a joint at exactly pi reads pi + 1e-6.
_RADIANS_MAX = 2 * np.pi * 1.05
_RANGE_MAX = 100.5
_DEGREES_MAX = 360.0 * 1.05
_TICKS_MAX = 4095.5
_RANGE_END = 100.0
_PINNED_TOLERANCE = 1e-3
TICKS_PER_TURN = 4096
TICKS_CENTRE = 2048


def guess_units(values: np.ndarray, convention: str | None) -> tuple[str, str]:
    """(unit, reason) for joint positions `values` (T, n) recorded under `convention` (or None).

    Range mode and degrees overlap within -100..100; there the convention decides, and a
    recorder with no convention is read as degrees, which is exact where range mode is not.
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        raise InputError("joint positions hold no finite value; their unit cannot be told")
    peak = float(np.max(np.abs(finite)))
    said = f"the recorder's convention is {convention}" if convention else "no convention is known"
    if convention == "ticks" and finite.min() >= 0 and peak <= _TICKS_MAX:
        return "ticks", f"{said} and values lie in 0..{peak:.0f}"
    if peak <= _RADIANS_MAX and convention in (None, "radians"):
        return "radians", f"values stay within ±{peak:.2f}, inside a turn in radians ({said})"
    if peak <= _RADIANS_MAX and convention in ("degrees", "range"):
        return convention, f"{said}; values stay within ±{peak:.2f}"
    if peak <= _RANGE_MAX and convention == "range":
        return "range", f"{said} (LeRobot's -100..100) and values stay within ±{peak:.1f}"
    if peak <= _DEGREES_MAX:
        return (
            "degrees",
            f"values reach ±{peak:.1f}, beyond 2π and within a turn in degrees ({said})",
        )
    if finite.min() >= 0 and peak <= _TICKS_MAX:
        return "ticks", f"values lie in 0..{peak:.0f}, the positions of a 4096-step servo ({said})"
    raise InputError(
        f"joint positions reach {peak:.1f}: not radians, degrees, LeRobot's range mode or 4096-step "
        "servo ticks; convert them to radians or give the unit"
    )


def _pinned(low: np.ndarray, high: np.ndarray) -> int | None:
    """The first joint resting at exactly -100 or +100: range mode's end stop, where a leader
    arm's calibrated range saturates. Degrees or radians land there exactly only by chance."""
    for i, (a, b) in enumerate(zip(low, high, strict=True)):
        if min(abs(abs(a) - _RANGE_END), abs(abs(b) - _RANGE_END)) <= _PINNED_TOLERANCE:
            return i
    return None


def _outside(
    low: np.ndarray, high: np.ndarray, unit: str, lower: np.ndarray, upper: np.ndarray
) -> int | None:
    """The first joint whose recorded range, read in `unit`, leaves the model's limits by more
    than recorders overshoot (a tenth of the joint's span, at least 10 degrees)."""
    scale = {"degrees": np.pi / 180.0, "radians": 1.0}.get(unit)
    if scale is None:
        return None
    slack = np.maximum(0.1 * (upper - lower), np.deg2rad(10.0))
    for i in range(len(low)):
        if low[i] * scale < lower[i] - slack[i] or high[i] * scale > upper[i] + slack[i]:
            return i
    return None


@dataclass(frozen=True)
class UnitCheck:
    """The unit after reading the values against a model's joint limits."""

    unit: str
    reason: str
    doubtful: bool = False  # the values fit the model's limits in no unit this module knows


def check_against_model(
    low: tuple[float, ...],
    high: tuple[float, ...],
    unit: str,
    lower: np.ndarray,
    upper: np.ndarray,
    names: list[str],
    model: str,
) -> UnitCheck | None:
    """A correction of `unit` when the recorded range contradicts the model: a joint pinned at
    exactly +-100, or out of the model's limits in degrees or radians, means LeRobot's range mode
    where the values fit it (an SO-101 leader driving another arm records its -100..100), and a
    warning where they fit no unit. None when the values agree with `unit`."""
    a, b = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    if len(a) != len(lower) or unit in ("range", "ticks"):
        return None
    within_range = float(np.max(np.abs(np.concatenate([a, b])))) <= _RANGE_MAX
    pinned = _pinned(a, b)
    if pinned is not None and within_range:
        value = a[pinned] if abs(abs(a[pinned]) - _RANGE_END) <= _PINNED_TOLERANCE else b[pinned]
        return UnitCheck(
            "range",
            f"{names[pinned]} rests at exactly {value:g}, range mode's end stop, and every value "
            f"stays within -100..100 (not {unit})",
        )
    out = _outside(a, b, unit, lower, upper)
    if out is None:
        return None
    limits = f"{np.rad2deg(lower[out]):.0f}..{np.rad2deg(upper[out]):.0f} degrees"
    seen = f"{names[out]} spans {a[out]:g}..{b[out]:g}, outside {model}'s {limits} in {unit}"
    if within_range:
        return UnitCheck("range", f"{seen}; every value stays within -100..100")
    return UnitCheck(unit, f"{seen}: the values fit no unit; moves may be wrong", True)


def _checked(values: np.ndarray, unit: str, model: KinematicModel) -> np.ndarray:
    """`values` as a (T, n) float array for `model`'s n joints, in a unit this module knows."""
    if unit not in JOINT_UNITS:
        raise InputError(f"unknown joint unit '{unit}'; choose from {', '.join(JOINT_UNITS)}")
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(model.joint_names):
        raise InputError(
            f"kinematic model '{model.name}' has {len(model.joint_names)} joints; "
            f"joint positions have shape {values.shape}"
        )
    return values


def to_radians(values: np.ndarray, unit: str, model: KinematicModel) -> tuple[np.ndarray, bool]:
    """Joint positions (T, n) in `unit` as radians for `model`, and whether that is approximate.

    Range mode maps -100..100 onto the model's joint limits: the calibration that ties the range to
    angles is not in the data, so the angles are approximate. Ticks take 2048 as the joint's zero,
    which holds only for a servo mounted at its centre; also approximate.
    """
    values = _checked(values, unit, model)
    if unit == "radians":
        return values.copy(), False
    if unit == "degrees":
        return np.deg2rad(values), False
    if unit == "range":
        fraction = (values + 100.0) / 200.0
        return model.lower + fraction * (model.upper - model.lower), True
    return (values - TICKS_CENTRE) * (2 * np.pi / TICKS_PER_TURN), True


def from_radians(radians: np.ndarray, unit: str, model: KinematicModel) -> np.ndarray:
    """Joint angles (T, n) in radians as a recorder writes them in `unit`: the inverse of
    `to_radians`. Range mode takes the calibration that spans `model`'s joint limits (-100 at the
    lower limit, +100 at the upper), the one `to_radians` assumes when reading it back."""
    radians = _checked(radians, unit, model)
    if unit == "radians":
        return radians.copy()
    if unit == "degrees":
        return np.rad2deg(radians)
    if unit == "range":
        return (radians - model.lower) / (model.upper - model.lower) * 200.0 - 100.0
    return radians * (TICKS_PER_TURN / (2 * np.pi)) + TICKS_CENTRE
