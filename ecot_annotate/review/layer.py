"""The review server's corrections: the file followed in memory and appended to through it.

The server reads the corrections file once, then only what was appended since (by itself or by
anyone else holding the file's lock), and applies each episode's new lines on top of what it
applied before. So a save or a page costs the same at 100 lines and at 100,000. Pages run in
Starlette's thread pool; one lock keeps the index and the applied episodes whole.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ecot_annotate.episode import Annotation
from ecot_annotate.store.correction_lines import Line
from ecot_annotate.store.corrections import Corrections, corrections_path
from ecot_annotate.store.corrections_file import CorrectionsFile
from ecot_annotate.store.manifest import Manifest


class ReviewLayer:
    """A run's corrections as the server sees them, kept up to date."""

    def __init__(self, out: str | Path, config_hash: str):
        self.manifest = Manifest(str(out))
        self.config_hash = config_hash
        self.file = CorrectionsFile(corrections_path(out))
        self._lock = threading.Lock()
        self._generation = -1
        self._seen = 0
        self._machine: dict[str, Annotation | None] = {}  # the committed annotations, read once
        with self.reading():
            self.file.warn()

    def _catch_up(self) -> None:
        if self.file.generation != self._generation:  # read again from the start: rebuild
            self.corrections = Corrections([], self.config_hash, remember=True)
            self._generation, self._seen = self.file.generation, 0
        for line in self.file.lines[self._seen :]:
            self.corrections.add(line)
        self._seen = len(self.file.lines)

    @contextmanager
    def reading(self) -> Iterator[Corrections]:
        """The corrections as they stand now, held still while the block runs."""
        with self._lock:
            self.file.refresh()
            self._catch_up()
            yield self.corrections

    def corrected(self, key: str) -> Annotation | None:
        """The episode with its corrections applied (a rejected one too); None when it has no
        edits or no committed annotation. Call inside `reading`."""
        if not self.corrections.review(key).edits:
            return None
        if key not in self._machine:
            self._machine[key] = self.manifest.load(key)
        machine = self._machine[key]
        if machine is None:
            return None
        return self.corrections.apply(key, machine, keep_rejected=True)

    def save(self, line: Line) -> tuple[Line, bool, int]:
        """Append `line`; the line written (or the one its id wrote before, and True) and the
        episode's version after it."""
        with self._lock:
            written, repeated = self.file.append(line)
            self._catch_up()
            return written, repeated, self.corrections.review(line.episode).version
