"""The `ecot-annotate` command. Each subcommand lives in its own module and only builds a config
or arguments for a library call; importing a module registers its command on the group.

Logging is quieted first, before any command module can load Beam, TensorFlow or transformers.
"""

from ecot_annotate import quiet

quiet.configure(0)

from ecot_annotate.cli import (  # noqa: E402
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
from ecot_annotate.cli.group import main  # noqa: E402

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
