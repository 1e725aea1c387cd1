"""The `ecot-annotate` command. Each subcommand lives in its own module and only builds a config
or arguments for a library call; errors the user can act on print as one line, not a traceback."""

from __future__ import annotations

import sys

import click

from ecot_annotate import __version__
from ecot_annotate.errors import EcotError


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except EcotError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="ecot-annotate")
def main() -> None:
    """Embodied Chain-of-Thought annotation for robot demonstrations (RLDS, LeRobot)."""


from ecot_annotate.cli import annotate, export, report, sample, show, stats, train  # noqa: E402  (commands register on import)

__all__ = ["main", "annotate", "export", "report", "sample", "show", "stats", "train"]
