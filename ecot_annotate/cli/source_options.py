"""The input options shared by `annotate` and `profile`: which source reads INPUT, and which split."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ecot_annotate.sources import SOURCES
from ecot_annotate.sources.detect import AUTO

# fmt: off
# fmt: off
_OPTIONS = (
    click.option("--source", type=click.Choice([AUTO, *SOURCES.names()]), default=AUTO, show_default=True, help="Input layout: an RLDS (TFDS) version folder (holds dataset_info.json) or a LeRobot dataset folder (holds meta/info.json); auto tells them apart."),
    click.option("--split", default="train", show_default=True, help="Split to read: a TFDS split name, or a LeRobot split from meta/info.json."),
)
# fmt: on
# fmt: on


def source_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_OPTIONS):
        command = option(command)
    return command
