"""Motion thresholds from the data: ECoT's rule, moved into each dataset's units and control rate.

ECoT names a step's motion from the state 4 steps ahead with 0.03 m / 0.3 rad / 0.03 thresholds,
tuned on Bridge at 5 Hz with state in metres and radians. The same numbers on a robot that records
at 50 Hz, or keeps its state in millimetres, say "stop" almost everywhere or never. Here:

- the look-ahead window is a fixed time span, 0.8 s (ECoT's 4 steps at 5 Hz), turned into steps
  with the dataset's control rate;
- each group of axes gets its unit from the dataset's own displacement statistics over that
  window, compared with the same statistics of the Bridge sample: translation is metres times the
  power of ten nearest to the ratio (m, dm, cm, mm), rotation radians or degrees, whichever is
  nearer, and the gripper its full opening, the 99th percentile of |opening| (snapped to 1, 100
  or 255 when within a factor of 2).

Units are snapped rather than scaled continuously so that a robot that simply moves faster or
slower than Bridge keeps ECoT's physical thresholds; on Bridge-like data (metres, radians, 5 Hz)
the result is exactly ECoT's configuration.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ecot_annotate.config import MotionConfig
from ecot_annotate.episode import ArmTrack

WINDOW_SECONDS = 0.8  # ECoT: 4 steps at Bridge's 5 Hz
BRIDGE_HZ = 5.0
# The 90th percentile, over all 0.8 s windows of the 25-episode Bridge sample in ../shared, of the
# end-effector's translation (metres) and of its largest rotation component (radians) across the
# window: the scale the ECoT thresholds were tuned at.
BRIDGE_TRANSLATION_P90 = 0.0398
BRIDGE_ROTATION_P90 = 0.2655
ROTATION_UNITS = {"radians": 1.0, "degrees": 180.0 / math.pi}
# Units a robot's state is recorded in: a dataset that simply moves faster than Bridge must not be
# read as being in a unit nobody uses (decimetres), so the scale snaps to one of these.
TRANSLATION_UNITS = {"metres": 1.0, "centimetres": 100.0, "millimetres": 1000.0}
GRIPPER_SCALES = (1.0, 100.0, 255.0)
GRIPPER_SNAP_DECADES = 0.3  # a range within a factor of 2 of a usual full scale is that scale


@dataclass(frozen=True)
class MotionCalibration:
    """What auto thresholds decided, and from what: stored in the run summary and config hash."""

    control_hz: float
    rate_source: str  # option | profile | dataset | assumed
    window: int  # steps the statistics were taken over (0.8 s)
    translation_unit: float  # state units per metre
    rotation_unit: str  # radians | degrees
    gripper_range: float  # the gripper's full opening in state units
    episodes: int  # episodes the statistics came from
    statistics: dict[str, float] = field(default_factory=dict)

    def apply(self, base: MotionConfig | None = None) -> MotionConfig:
        """`base` (ECoT's by default) read as Bridge-scale settings: its window as a time span at
        5 Hz, its thresholds in metres / radians / unit opening; moved into this data's terms."""
        base = base or MotionConfig()
        return replace(
            base,
            window=window_steps(self.control_hz, base.window / BRIDGE_HZ),
            translation_threshold=base.translation_threshold * self.translation_unit,
            rotation_threshold=base.rotation_threshold * ROTATION_UNITS[self.rotation_unit],
            gripper_threshold=base.gripper_threshold * self.gripper_range,
        )

    def as_dict(self) -> dict:
        return asdict(self)


def window_steps(control_hz: float, seconds: float = WINDOW_SECONDS) -> int:
    """Steps in a look-ahead of `seconds` (ECoT's 0.8 s) at this rate; at least 2 (two states)."""
    return max(2, round(seconds * control_hz))


def _window_deltas(values: np.ndarray, window: int) -> np.ndarray:
    return values[window - 1 :] - values[: len(values) - window + 1]


def _nearest_in_log(value: float, candidates: dict[str, float]) -> str:
    return min(candidates, key=lambda name: abs(math.log10(value / candidates[name])))


def calibrate(
    episodes: Iterable[Sequence[ArmTrack]],
    control_hz: float | None,
    rate_source: str,
) -> MotionCalibration:
    """Calibrate from every arm of a sample of episodes: translation and rotation from the arms
    with a pose, the gripper from every arm.

    `control_hz` None means the rate is unknown: Bridge's 5 Hz is assumed and said so.
    """
    if control_hz is None or control_hz <= 0:
        control_hz, rate_source = BRIDGE_HZ, "assumed"
    window = window_steps(control_hz)
    translation, rotation, grippers = [], [], []
    count = 0
    for arms in episodes:
        count += 1
        for arm in arms:
            if len(arm.gripper) < window:
                continue
            if arm.has_pose:
                moved = _window_deltas(np.asarray(arm.xyz, float), window)
                translation.append(np.linalg.norm(moved, axis=1))
                turn = _window_deltas(np.asarray(arm.rotation, float), window)
                rotation.append(np.abs((turn + np.pi) % (2 * np.pi) - np.pi).max(axis=1))
            grippers.append(np.asarray(arm.gripper, float))
    stats: dict[str, float] = {}
    translation_unit, rotation_unit, gripper_range = 1.0, "radians", 1.0
    if translation:
        moved = float(np.percentile(np.concatenate(translation), 90))
        stats["translation_p90"] = moved
        if moved > 0:
            unit = _nearest_in_log(moved / BRIDGE_TRANSLATION_P90, TRANSLATION_UNITS)
            translation_unit = TRANSLATION_UNITS[unit]
    if rotation:
        turned = float(np.percentile(np.concatenate(rotation), 90))
        stats["rotation_p90"] = turned
        if turned > 0:
            rotation_unit = _nearest_in_log(turned / BRIDGE_ROTATION_P90, ROTATION_UNITS)
    if grippers:
        span = float(np.percentile(np.abs(np.concatenate(grippers)), 99))
        stats["gripper_abs_p99"] = span
        if span > 0:
            nearest = min(GRIPPER_SCALES, key=lambda s: abs(math.log10(span / s)))
            snapped = abs(math.log10(span / nearest)) <= GRIPPER_SNAP_DECADES
            gripper_range = nearest if snapped else span
    return MotionCalibration(
        control_hz=float(control_hz),
        rate_source=rate_source,
        window=window,
        translation_unit=translation_unit,
        rotation_unit=rotation_unit,
        gripper_range=gripper_range,
        episodes=count,
        statistics={k: round(v, 6) for k, v in stats.items()},
    )
