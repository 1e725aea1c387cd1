"""The `ecot-annotate` command. Each subcommand lives in its own module and only builds a config
or arguments for a library call; importing a module registers its command on the group."""

from ecot_annotate.cli import (
    annotate,
    export,
    profile,
    report,
    review,
    sample,
    score,
    show,
    stats,
    train,
)
from ecot_annotate.cli.group import main

__all__ = [
    "main",
    "annotate",
    "export",
    "profile",
    "report",
    "review",
    "sample",
    "score",
    "show",
    "stats",
    "train",
]
