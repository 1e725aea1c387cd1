"""`ecot-annotate profile INPUT [--write FILE.toml]`: the profile a run would use, to read or edit."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ecot_annotate.cli.config_options import config_options
from ecot_annotate.cli.group import main
from ecot_annotate.config import AnnotateConfig
from ecot_annotate.profiles.resolve import choose_profile, profile_summary
from ecot_annotate.profiles.toml_text import profile_toml
from ecot_annotate.profiles.validate import profile_problems
from ecot_annotate.sources import SOURCES
from ecot_annotate.sources.detect import resolve_source


@main.command()
@click.argument("input_path", metavar="INPUT")
@config_options(AnnotateConfig, only=("source", "split"))
@click.option("--write", "write_path", type=click.Path(dir_okay=False, writable=True), default=None, help="Write the profile as a commented TOML file to edit, then pass it to --profile.")  # fmt: skip
def profile(input_path: str, source: str, split: str, write_path: str | None) -> None:
    """Show the profile --profile auto uses for INPUT (built-in, or inferred from the dataset).

    Exits 1 when fields are left to set, unless --write wrote them into FILE to edit."""
    source = resolve_source(input_path, source)
    layout = SOURCES.get(source).open(input_path, split).layout()
    chosen = choose_profile("auto", layout)
    inference = chosen.inference
    problems = inference.problems if inference else profile_problems(chosen.profile, layout)
    if not problems:
        click.echo(profile_summary(chosen.profile, chosen.how))
    if write_path:
        Path(write_path).write_text(profile_toml(chosen.profile, inference))
        click.echo(f"wrote {write_path}: edit it, then annotate with --profile {write_path}")
    if problems:
        where = f"in {write_path}" if write_path else "before a run"
        click.secho(f"{layout.name}: set these {where}:", fg="yellow", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        if not write_path:
            sys.exit(1)
