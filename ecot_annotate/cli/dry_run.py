"""Printing `annotate --dry-run`: what a run would do and cost, without running it."""

from __future__ import annotations

import click

from ecot_annotate.config import AnnotateConfig


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "not measured on this machine"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 3600:.2f} h"


def print_estimate(config: AnnotateConfig) -> None:
    from ecot_annotate.estimate import dry_run

    result, motion = dry_run(config)
    steps = f"{result.steps}" + (
        "" if result.steps_exact else f" (estimated from {result.episodes_read} episodes read)"
    )
    lines = [
        f"dry run of {config.input} (nothing written)",
        f"episodes              {result.episodes}",
        f"steps                 {steps}",
        f"detector frames       {result.detector_frames}",
        f"LLM requests          {result.llm_requests}",
        f"prompt tokens         {result.prompt_tokens}",
        f"completion tokens     {result.completion_tokens}  ({result.token_count})",
        f"motion                window {motion['window']} steps, "
        f"{motion['translation_threshold']:g} / {motion['rotation_threshold']:g} / "
        f"{motion['gripper_threshold']:g} (translation / rotation / gripper), "
        f"{motion['thresholds']} thresholds",
    ]
    calibration = motion.get("calibration")
    if calibration:
        lines.append(
            f"control rate          {calibration['control_hz']:g} Hz ({calibration['rate_source']})"
        )
    for name, seconds in result.seconds.items():
        lines.append(f"time, {name:<16}{_duration(seconds)}")
    lines.append(f"rates                 {result.rates}")
    click.echo("\n".join(lines))
