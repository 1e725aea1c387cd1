"""`ecot-annotate annotate INPUT --out OUT`: the main job."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ecot_annotate.cli.group import main, settle_hub
from ecot_annotate.cli.llm_options import llm_options, pop_llm_config
from ecot_annotate.cli.perception_options import (
    hub_models,
    perception_options,
    pop_perception_config,
)
from ecot_annotate.cli.source_options import source_options
from ecot_annotate.config import PARQUET_FRAMES, PARQUET_REFERENCES, AnnotateConfig
from ecot_annotate.kinematics.units import JOINT_UNITS
from ecot_annotate.reasoners import REASONERS
from ecot_annotate.sources.detect import resolve_source
from pipelines.formats import FORMATS


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("input_path", metavar="INPUT")
@click.option("--out", required=True, help="Output folder (local, gs:// or s3://).")
@source_options
@click.option("--limit", type=int, default=None, help="Annotate only the first N episodes.")
@click.option("--profile", default="auto", show_default=True, help="Built-in profile name, a profile file (.toml/.json), or auto: the built-in profile named like the dataset, else one inferred from the dataset's own description.")  # fmt: skip
@click.option("--camera", default=None, help="The primary camera's key (e.g. observation/image), overriding the profile's; none: no camera, episodes annotated from the state alone (chosen by itself when no declared camera ships a frame).")  # fmt: skip
@click.option("--kinematics", default=None, help="A URDF file (or a built-in arm name) for a robot whose state is joint positions: its arms' end-effector pose is the forward kinematics of their joints.")  # fmt: skip
@click.option("--ee-link", default=None, help="The URDF link that is the end effector (with --kinematics).")  # fmt: skip
@click.option("--joint-units", type=click.Choice(JOINT_UNITS), default=None, help="The unit every arm's joints are recorded in, overriding the one read from the robot's convention and the values' range: degrees and LeRobot's -100..100 range mode cannot be told apart within +-100.")  # fmt: skip
@click.option("--format", "formats", default="parquet,ecot-json", show_default=True, help=f"Comma-separated: {', '.join(FORMATS.names())}.")  # fmt: skip
@click.option("--parquet-frames", type=click.Choice(PARQUET_FRAMES), default=PARQUET_REFERENCES, show_default=True, help="How Parquet keeps the frames of a camera the input stores as video (LeRobot): reference (the video file and each frame's time in it, as LeRobot does; nothing is decoded, train/report/review decode it) or jpeg (each frame decoded once and stored as JPEG at quality 90, several times the video's size). Frames stored as images (RLDS) are kept as they are.")  # fmt: skip
@click.option("--reasoner", type=click.Choice(REASONERS.names()), default="rules", show_default=True, help="Who writes plans, subtasks and reasons: the offline rule writer, or an LLM (--llm-* options).")  # fmt: skip
@click.option("--motion-thresholds", type=click.Choice(["auto", "fixed"]), default="auto", show_default=True, help="auto: ECoT's 0.8 s look-ahead and thresholds in the data's units and control rate; fixed: ECoT's 4 steps, 0.03 m, 0.3 rad as they are.")  # fmt: skip
@click.option("--control-hz", type=float, default=None, help="The dataset's control rate (default: the profile's, else the dataset's, else 5 Hz is assumed).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Print what the run would do and cost (episodes, steps, detector frames, LLM requests and tokens, time); write nothing.")  # fmt: skip
@click.option("--runner", default="DirectRunner", show_default=True, help="Beam runner: DirectRunner (Beam's FnApi runner in this process), PrismRunner (Beam's Go runner, downloaded on first use), DataflowRunner, FlinkRunner, SparkRunner.")  # fmt: skip
@click.option("--direct-running-mode", type=click.Choice(["in_memory", "multi_threading", "multi_processing"]), default=None, help="DirectRunner only: multi_processing uses every core (Beam's default is in_memory).")  # fmt: skip
@click.option("--num-shards", type=int, default=0, help="Output shards per format (0: the runner decides).")  # fmt: skip
@click.option("--overwrite", is_flag=True, help="Replace an output folder made with other settings.")  # fmt: skip
@click.option("--allow-quarantine", is_flag=True, help="Exit 0 even when some episodes were quarantined.")  # fmt: skip
@llm_options
@perception_options
@click.pass_context
def annotate(
    ctx: click.Context,
    input_path: str,
    out: str,
    source: str,
    split: str,
    limit: int | None,
    profile: str,
    camera: str | None,
    kinematics: str | None,
    ee_link: str | None,
    joint_units: str | None,
    formats: str,
    parquet_frames: str,
    reasoner: str,
    motion_thresholds: str,
    control_hz: float | None,
    dry_run: bool,
    runner: str,
    direct_running_mode: str | None,
    num_shards: int,
    overwrite: bool,
    allow_quarantine: bool,
    **options: Any,
) -> None:
    """Annotate INPUT, an RLDS (TFDS) version folder or a LeRobot dataset folder (local, gs:// or
    s3://), with ECoT reasoning into OUT. Any further --flag goes to Beam."""
    from pipelines.run import run

    beam_args = [f"--runner={runner}", *ctx.args]
    if direct_running_mode:
        beam_args.append(f"--direct_running_mode={direct_running_mode}")
    config = AnnotateConfig(
        input=input_path if "://" in input_path else os.path.abspath(input_path),
        out=out.rstrip("/"),
        source=resolve_source(input_path, source),
        split=split,
        limit=limit,
        profile=profile,
        camera=camera,
        kinematics=kinematics,
        ee_link=ee_link,
        joint_units=joint_units,
        formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
        parquet_frames=parquet_frames,
        reasoner=reasoner,
        motion_thresholds=motion_thresholds,
        control_hz=control_hz,
        llm=pop_llm_config(options),
        perception=pop_perception_config(options),
        num_shards=num_shards,
        overwrite=overwrite,
        allow_quarantine=allow_quarantine,
        beam_args=tuple(beam_args),
    )
    if dry_run:
        from ecot_annotate.cli.dry_run import print_estimate

        print_estimate(config)
        return
    settle_hub(hub_models(config.perception, config.llm))
    summary = run(
        config, progress=runner == "DirectRunner" and sys.stderr.isatty(), announce=click.echo
    )
    click.echo(
        f"annotated {summary['episodes_out']}/{summary['episodes_in']} episodes "
        f"({summary['steps_out']} steps) in {summary['wall_seconds']:.1f}s -> {config.out}"
    )
    if "llm" in summary:
        from ecot_annotate.reasoners.llm_usage import describe, fallback_rate_exceeded

        click.echo(describe(summary["llm"]))
        exceeded = fallback_rate_exceeded(summary["llm"], config.llm.max_fallback_rate)
        if exceeded:
            click.secho(f"error: {exceeded}", fg="red", err=True)
            sys.exit(1)
    if summary.get("damaged_spans"):
        click.secho(
            f"{summary['damaged_spans']} damaged span(s) outside any episode: "
            f"see {config.out}/quarantine/",
            fg="yellow",
            err=True,
        )
    if summary["episodes_quarantined"]:
        click.secho(
            f"{summary['episodes_quarantined']} episode(s) quarantined: see {config.out}/quarantine/",
            fg="yellow",
            err=True,
        )
        for reason in summary["quarantine_reasons"][:5]:
            click.echo(f"  - {reason}", err=True)
        if not allow_quarantine:
            sys.exit(1)
