"""`ecot-annotate profile INPUT [--write FILE.toml]`: the profile a run would use, to read or edit."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ecot_annotate.cli.config_options import config_options
from ecot_annotate.cli.group import main
from ecot_annotate.config import AnnotateConfig
from ecot_annotate.profiles import builtin_profiles, load_profile
from ecot_annotate.profiles.infer import infer_profile
from ecot_annotate.profiles.resolve import profile_summary
from ecot_annotate.profiles.toml_text import profile_toml
from ecot_annotate.profiles.validate import profile_problems
from ecot_annotate.sources import SOURCES
from ecot_annotate.sources.detect import resolve_source


@main.command()
@click.argument("input_path", metavar="INPUT")
@config_options(AnnotateConfig, only=("source", "split"))
@click.option("--write", "write_path", type=click.Path(dir_okay=False, writable=True), default=None, help="Write the profile as a commented TOML file to edit, then pass it to --profile.")  # fmt: skip
def profile(input_path: str, source: str, split: str, write_path: str | None) -> None:
    """Show the profile --profile auto uses for INPUT (built-in, or inferred from the dataset)."""
    source = resolve_source(input_path, source)
    layout = SOURCES.get(source).open(input_path, split).layout()
    inference = None
    if layout.name in builtin_profiles():
        chosen, how = load_profile(layout.name), "built-in profile for this dataset"
    else:
        inference = infer_profile(layout)
        chosen, how = inference.profile, "inferred from the dataset"
    problems = inference.problems if inference else profile_problems(chosen, layout)
    if not problems:
        click.echo(profile_summary(chosen, how, source))
    if write_path:
        Path(write_path).write_text(profile_toml(chosen, inference))
        click.echo(f"wrote {write_path}: edit it, then annotate with --profile {write_path}")
    if problems:
        click.secho(f"{layout.name}: set these before a run:", fg="yellow", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
