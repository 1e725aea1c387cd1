"""Quiet by default: our own lines on stderr, third-party chatter filtered where it starts.

Libraries we use announce themselves (TensorFlow's C++ logs, absl, Beam's INFO lines, tfds's split
printouts and progress bars, transformers and the hub). `configure(verbosity)` sets their levels
before they are imported (environment variables for TensorFlow, transformers and the hub reach
Beam's worker processes too) and puts one handler on the root logger whose level decides what
passes: errors only by default, warnings with `-v`, everything with `-vv`. Our own logger
(`ecot_annotate`) always prints INFO, so progress lines and notes show in every mode.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
from collections.abc import Iterator

LOGGER = "ecot_annotate"
LEVELS = {0: logging.ERROR, 1: logging.WARNING}  # more -v than listed: everything (INFO)
_QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",  # read once, when TensorFlow's C++ runtime loads
    "TRANSFORMERS_VERBOSITY": "error",
    "HF_HUB_VERBOSITY": "error",
}
_state = {"verbosity": 0}


def logger() -> logging.Logger:
    return logging.getLogger(LOGGER)


def verbosity() -> int:
    return _state["verbosity"]


def configure(verbosity: int = 0) -> None:
    """Set every library's level for this process and the worker processes it starts."""
    _state["verbosity"] = verbosity
    if verbosity == 0:
        for name, value in _QUIET_ENV.items():
            os.environ.setdefault(name, value)
    level = LEVELS.get(verbosity, logging.INFO)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_ecot_root", False):
            root.removeHandler(handler)
    handler = _Stderr()
    handler._ecot_root = True  # type: ignore[attr-defined]
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    if level < root.level:
        root.setLevel(level)
    logging.captureWarnings(True)  # warnings.warn() becomes a py.warnings record under that level
    ours = logger()
    ours.setLevel(logging.INFO)
    ours.propagate = False
    if not ours.handlers:
        own = _Stderr()
        own.setFormatter(logging.Formatter("%(message)s"))
        ours.addHandler(own)
    for name in ("transformers", "huggingface_hub"):
        _library_level(name, level)


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of the record (a test may swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _library_level(name: str, level: int) -> None:
    """transformers and the hub keep their own handlers; set their level when they are loaded."""
    if name in sys.modules:
        logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def tfds_quietly() -> Iterator[None]:
    """Around tfds calls that print to stdout (split detection) or draw progress bars on stderr.

    What they print goes to the debug log instead (errors still raise); `-vv` shows it as printed.
    """
    if verbosity() >= 2:
        yield
        return
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        yield
    for line in captured.getvalue().splitlines():
        logging.getLogger("tensorflow_datasets").debug(line)


def worker_log_args(beam_args: list[str] | tuple[str, ...]) -> list[str]:
    """Beam flags that give worker processes (multi_processing, Dataflow) the same levels.

    Workers keep our own logger at INFO, so progress lines reach the worker logs; flags the user
    passed win.
    """
    if any(
        a.startswith(("--default_sdk_harness_log_level", "--sdk_harness_log_level_overrides"))
        for a in beam_args
    ):
        return []
    level = logging.getLevelName(LEVELS.get(verbosity(), logging.INFO))
    return [
        f"--default_sdk_harness_log_level={level}",
        f"--sdk_harness_log_level_overrides={json.dumps({LOGGER: 'INFO'})}",
    ]
