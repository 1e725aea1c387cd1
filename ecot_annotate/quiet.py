"""Quiet by default: our own lines on stderr, third-party chatter filtered where it starts.

Libraries we use announce themselves (TensorFlow's C++ logs, absl, Beam's INFO lines, tfds's split
printouts and progress bars, transformers and the hub). `configure(verbosity)` sets their levels
before they are imported (environment variables for TensorFlow, transformers and the hub reach
Beam's worker processes too) and puts one handler on the root logger whose level decides what
passes: errors only by default, warnings with `-v`, everything with `-vv`. Our own logger
(`ecot_annotate`) always prints INFO, so progress lines and notes show in every mode.

TensorFlow's shared libraries log from their static initializers through absl before absl is set
up, so no environment variable reaches those lines (`oneDNN custom operations are on` prints even
with TF_CPP_MIN_LOG_LEVEL=3 on CPUs with AVX-512 or AMX). `configure` therefore also imports
`tensorflow`, whenever something first does, with the process's stderr (file descriptor 2)
filtered: absl's INFO lines (and WARNING lines by default) are dropped, anything else is written
back. oneDNN itself stays as TensorFlow chose.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import io
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType

LOGGER = "ecot_annotate"
LEVELS = {0: logging.ERROR, 1: logging.WARNING}  # more -v than listed: everything (INFO)
_QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",  # read once, when TensorFlow's C++ runtime loads
    "TRANSFORMERS_VERBOSITY": "error",
    "HF_HUB_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # also transformers' "Loading weights" bar
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
    # Beam logs a failing step's traceback and raises it again: the caller reports it once.
    logging.getLogger("apache_beam.runners.common").setLevel(
        logging.CRITICAL if verbosity == 0 else logging.NOTSET
    )
    if not any(isinstance(finder, _FilteredImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _FilteredImport())


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of the record (a test may swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _library_level(name: str, level: int) -> None:
    """transformers and the hub keep their own handlers; set their level when they are loaded."""
    if name in sys.modules:
        logging.getLogger(name).setLevel(level)


_ABSL_PREINIT = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
)
_ABSL_LINE = re.compile(
    r"([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [^ \]]+:\d+\] "
)  # seconds unwrapped before init


def absl_filtered(text: str, verbosity: int) -> str:
    """`text` without absl's lines below the level shown (INFO always, WARNING unless `-v`).

    A dropped line's continuation lines (those without absl's prefix) go with it.
    """
    dropped = "IW" if verbosity == 0 else "I"
    kept, dropping = [], False
    for line in text.splitlines(keepends=True):
        match = _ABSL_LINE.match(line)
        if match:
            dropping = match.group(1) in dropped
        elif line.rstrip("\n") == _ABSL_PREINIT:
            dropping = False
            continue
        if not dropping:
            kept.append(line)
    return "".join(kept)


@contextlib.contextmanager
def c_stderr_filtered() -> Iterator[None]:
    """Runs the body with file descriptor 2 captured, then writes back what `absl_filtered` keeps."""
    if verbosity() >= 2:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = absl_filtered(captured.read().decode(errors="replace"), verbosity())
            if kept:
                os.write(2, kept.encode())


class _FilteredImport(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` as usual and loads it under `c_stderr_filtered`."""

    def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
        if name != "tensorflow":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _FilteredLoader(spec.loader)
        return spec


class _FilteredLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader):
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        with c_stderr_filtered():
            self.loader.exec_module(module)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.loader, name)  # get_data, get_filename, is_package, ... for tools


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
