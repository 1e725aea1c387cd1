"""`ecot-annotate stats OUT`: the run's quality figures as a terminal table or JSON."""

from __future__ import annotations

import json
import sys

import click

from ecot_annotate.cli.group import main


@main.command()
@click.argument("out")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def stats(out: str, as_json: bool) -> None:
    """Quality figures: reasoning sources, boxes, gripper fit, primitives, plan/motion disagreements."""
    from ecot_annotate.inspect.quality import quality_rows, run_stats

    figures = run_stats(out)
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    rows = quality_rows(figures)
    styled = sys.stdout.isatty()
    width = max(len(figure) for _, figure, _ in rows)
    section_width = max(len(section) for section, _, _ in rows) + 2
    click.echo(
        f"run {figures['run']}" + (f"  ({figures['dataset']})" if figures["dataset"] else "")
    )
    previous = None
    for section, figure, value in rows:
        name = section if section != previous else ""
        previous = section
        name = f"{name:<{section_width}}"
        name = click.style(name, bold=True) if styled else name
        click.echo(f"{name}{figure:<{width}}  {value}")
