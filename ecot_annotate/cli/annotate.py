"""`ecot-annotate annotate INPUT --out OUT`: the main job."""

from __future__ import annotations

import os
import sys
from dataclasses import replace

import click

from ecot_annotate.cli.config_options import SectionedCommand, config_options, parsed_config
from ecot_annotate.cli.group import main, settle_hub
from ecot_annotate.cli.hub_models import hub_models
from ecot_annotate.config import AnnotateConfig


@main.command(cls=SectionedCommand, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})  # fmt: skip
@config_options(AnnotateConfig)
@click.option("--dry-run", is_flag=True, help="Print what the run would do and cost (episodes, steps, detector frames, LLM requests and tokens, time); write nothing.")  # fmt: skip
@click.option("--runner", default="DirectRunner", show_default=True, help="Beam runner: DirectRunner (Beam's FnApi runner in this process), PrismRunner (Beam's Go runner, downloaded on first use), DataflowRunner, FlinkRunner, SparkRunner.")  # fmt: skip
@click.option("--direct-running-mode", type=click.Choice(["in_memory", "multi_threading", "multi_processing"]), default=None, help="DirectRunner only: multi_processing uses every core (Beam's default is in_memory).")  # fmt: skip
@click.pass_context
def annotate(
    ctx: click.Context, dry_run: bool, runner: str, direct_running_mode: str | None, **_: object
) -> None:
    """Annotate INPUT, an RLDS (TFDS) version folder or a LeRobot dataset folder (local, gs:// or
    s3://), with ECoT reasoning into OUT. Any further --flag goes to Beam."""
    from pipelines.run import run

    beam_args = [f"--runner={runner}", *ctx.args]
    if direct_running_mode:
        beam_args.append(f"--direct_running_mode={direct_running_mode}")
    config = parsed_config(AnnotateConfig, ctx)
    config = replace(
        config,
        input=config.input if "://" in config.input else os.path.abspath(config.input),
        out=config.out.rstrip("/"),
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
        if not config.allow_quarantine:
            sys.exit(1)
