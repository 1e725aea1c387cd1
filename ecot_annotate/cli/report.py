"""`ecot-annotate report OUT --html DIR`: a static HTML report to browse the reasoning."""

from __future__ import annotations

import sys

import click

from ecot_annotate.cli.group import main


@main.command()
@click.argument("out")
@click.option("--html", "html_dir", required=True, help="Folder to write the report into (index.html, episodes/, plots/).")  # fmt: skip
@click.option("--limit", type=int, default=None, help="Pages for the first N episodes only (figures still cover the whole run).")  # fmt: skip
def report(out: str, html_dir: str, limit: int | None) -> None:
    """Write a browsable report: episodes with boxes, gripper track and chain per step, plus quality figures."""
    from ecot_annotate.inspect.report import build_report

    index = build_report(out, html_dir, limit=limit, progress=sys.stderr.isatty())
    click.echo(f"report written: {index}  (open it in a browser; no server needed)")
