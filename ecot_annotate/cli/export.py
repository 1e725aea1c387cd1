"""`ecot-annotate export OUT --to FORMAT PATH`: a finished run in another format, without re-annotating."""

from __future__ import annotations

import sys

import click

from ecot_annotate.cli.group import main
from pipelines.formats import FORMATS
from pipelines.resume import NOT_COMMITTED


def _note(line: str) -> None:
    """The run's profile block (with what the input's metadata gets wrong), on stderr."""
    click.echo(line, err=True)


@main.command()
@click.argument("out")
@click.argument("path")
@click.option("--to", "to", type=click.Choice(FORMATS.names()), required=True, help="Format to write: ecot-json writes the one JSON file PATH; parquet, rlds and lerobot write the folder PATH.")  # fmt: skip
def export(out: str, path: str, to: str) -> None:
    """Write the annotations of run OUT as another format at PATH, a new file or folder (the
    run's input must still be readable: the formats copy frames and records from it)."""
    from pipelines.export import export as run_export

    summary = run_export(out, to, path, progress=sys.stderr.isatty(), announce=_note)
    click.echo(
        f"exported {summary['episodes_out']} episodes ({summary['steps_out']} steps) as {to} -> {path}"
    )
    if summary["episodes_quarantined"]:
        click.secho(
            f"{summary['episodes_quarantined']} episode(s) not exported:", fg="yellow", err=True
        )
        for what, keys in (
            ("rejected in review", summary["rejected_keys"]),
            ("no committed annotation in the run", summary["unannotated_keys"]),
        ):
            if keys:
                click.echo(f"  - {what} ({len(keys)}): {_listed(keys)}", err=True)
        for reason in [
            r for r in summary["quarantine_reasons"] if not r.startswith(f"{NOT_COMMITTED}:")
        ][:5]:
            click.echo(f"  - {reason}", err=True)


def _listed(keys: list[str], most: int = 20) -> str:
    more = f" and {len(keys) - most} more" if len(keys) > most else ""
    return ", ".join(keys[:most]) + more
