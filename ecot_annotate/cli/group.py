"""The `ecot-annotate` command group: errors the user can act on print as one line, not a traceback.

Output is quiet by default (our own lines only): the package's `__init__` sets logging up before
the commands import Beam, TensorFlow or transformers; `-v` shows third-party warnings, `-vv`
everything.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from ecot_annotate import __version__, quiet
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
@click.option("-v", "--verbose", count=True, help="Show what the libraries log: -v their warnings, -vv everything (Beam, TensorFlow, tfds).")  # fmt: skip
def main(verbose: int) -> None:
    """Embodied Chain-of-Thought annotation for robot demonstrations (RLDS, LeRobot)."""
    quiet.configure(verbose)


def note(text: str) -> None:
    """One line for the user on stderr, apart from the command's result on stdout."""
    click.secho(f"note: {text}", fg="yellow", err=True)


def settle_hub(models: Iterable[str | None]) -> None:
    """Decide once whether this run may reach the Hugging Face hub (see backends.hub)."""
    from ecot_annotate.backends.hub import settle

    message = settle(models)
    if message:
        note(message)
