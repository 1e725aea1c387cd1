"""The `ecot-annotate` command group: errors the user can act on print as one line, not a traceback."""

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
