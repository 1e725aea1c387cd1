"""Which motion thresholds a run uses: ECoT's fixed numbers, or ECoT's rule in the data's units.

`auto` (the default) reads the first episodes of the dataset (state and action, no frame) and calibrates the look-ahead window
and thresholds (`geometry.motion_auto`); the control rate comes from `--control-hz`, else the
profile, else the dataset's own metadata (LeRobot's fps), else Bridge's 5 Hz is assumed and the
summary says so. The resulting MotionConfig goes into the config, so the config hash covers it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import Episode
from ecot_annotate.errors import InputError
from ecot_annotate.geometry.motion_auto import MotionCalibration, calibrate
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.sources.base import Source

MODES = ("auto", "fixed")
CALIBRATION_EPISODES = 16


def control_rate(
    config: AnnotateConfig, profile: DatasetProfile, dataset: Any
) -> tuple[float | None, str]:
    """(rate in Hz or None when unknown, where it came from)."""
    if config.control_hz:
        return float(config.control_hz), "--control-hz"
    if profile.control_hz:
        return float(profile.control_hz), f"profile {profile.name}"
    fps = getattr(dataset, "fps", None)
    if fps:
        return float(fps), "dataset metadata"
    return None, "unknown"


def resolve_motion(
    config: AnnotateConfig,
    dataset: Source,
    episodes: list[Episode],
) -> tuple[AnnotateConfig, MotionCalibration | None]:
    """The config with the motion thresholds this run uses, and the calibration behind them
    (from `episodes`, the dataset's first `CALIBRATION_EPISODES`, read without frames)."""
    if config.motion_thresholds not in MODES:
        raise InputError(
            f"--motion-thresholds must be one of {', '.join(MODES)}, got {config.motion_thresholds}"
        )
    if config.control_hz is not None and config.control_hz <= 0:
        raise InputError(f"--control-hz must be positive, got {config.control_hz}")
    if config.motion_thresholds == "fixed":
        return config, None
    profile = config.dataset_profile
    hz, where = control_rate(config, profile, dataset)
    calibration = calibrate((e.arms for e in episodes), hz, where)
    return replace(config, motion=calibration.apply(config.motion)), calibration


def describe(config: AnnotateConfig, calibration: MotionCalibration | None) -> str:
    """One line for the block a run prints before it starts: the thresholds and where from."""
    m = config.motion
    values = f"translation {m.translation_threshold:g}, rotation {m.rotation_threshold:g}, gripper {m.gripper_threshold:g}"
    if calibration is None:
        return f"  thresholds   fixed: {m.window} steps; {values}"
    rate = f"{calibration.control_hz:g} Hz, " + (
        "assumed: pass --control-hz"
        if calibration.rate_source == "assumed"
        else calibration.rate_source
    )
    seconds = m.window / calibration.control_hz
    return f"  thresholds   auto: {m.window} steps ({seconds:g} s at {rate}); {values}"
