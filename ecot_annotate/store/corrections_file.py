"""A run's corrections file on disk: read once and then followed, appended to under a lock.

Reading never stops at a bad line. A torn or unreadable line (a save killed mid-write, a hand
edit gone wrong) is skipped with one warning naming the file and the line, and the next write
repairs the file: the bad lines are set aside as they were in `corrections.rejected` beside it,
and the file is written again without them (a new file renamed over the old one, so a reader sees
one or the other). Each line is written with one `write` to a file opened for appending, so a
process killed during a save leaves at worst a torn last line, which that repair removes.

A follower (the review server) calls `refresh`, which reads only what was appended since its
last call, so keeping up costs the same at 100 lines and at 100,000.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ecot_annotate.store.correction_lines import Conflict, Line
from ecot_annotate.store.json_values import LineError

REJECTED = "corrections.rejected"
_LOCK = ".corrections.lock"
_warned: set[tuple[str, int]] = set()  # each bad line is named once per process
log = logging.getLogger("ecot_annotate")


@dataclass(frozen=True)
class BadLine:
    """A line of the file that is not a corrections line, and why."""

    number: int
    reason: str


def parse_raw(raw: bytes) -> Line:
    """One line of the file as bytes (without its end of line) -> a checked line."""
    try:
        return Line.parse(json.loads(raw.decode("utf-8")))
    except UnicodeDecodeError:
        raise LineError("not UTF-8 text") from None
    except RecursionError:
        raise LineError("nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise LineError(f"not JSON ({exc})") from None


class CorrectionsFile:
    """The lines of one corrections file in file order, with each episode's lines and each
    change id, kept up to date by `refresh`; `generation` grows when the file was replaced and
    read again from its start (a repair by another process), so followers rebuild."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.generation = 0
        self._reset()

    def _reset(self) -> None:
        self.lines: list[Line] = []
        self.bad: list[BadLine] = []
        self.by_episode: dict[str, list[Line]] = {}
        self.by_id: dict[tuple[str, str], Line] = {}
        self._offset = 0  # bytes of whole lines read so far
        self._numbers = 0  # lines (of the file, blank and bad ones too) read so far
        self._identity: tuple[int, int] | None = None
        self.torn_tail = b""  # bytes after the last end of line: a save cut short, or one under way
        self.open_end = False  # the last line read has no end of line: the next append adds it
        self.generation += 1

    @property
    def rejected_path(self) -> Path:
        return self.path.with_name(REJECTED)

    def refresh(self, complete: bool = False) -> None:
        """Read what was appended since the last call. A last line without an end of line is read
        when it is a whole line; else it is kept as `torn_tail` (a save cut short, or one under
        way), unless `complete` says to read it as a torn line."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            if self._identity is not None:
                self._reset()
            return
        if self._identity not in (None, (stat.st_dev, stat.st_ino)) or stat.st_size < self._offset:
            self._reset()
        self._identity = (stat.st_dev, stat.st_ino)
        with open(self.path, "rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        cut = data.rfind(b"\n")
        if cut >= 0:
            for raw in data[:cut].split(b"\n"):
                self._read(raw)
            self._offset += cut + 1
        self.torn_tail = data[cut + 1 :]
        if data:
            self.open_end = False
        if self.torn_tail and (complete or _is_line(self.torn_tail)):
            self._read(self.torn_tail, torn=True)  # a whole line but for its end of line, or torn
            self._offset += len(self.torn_tail)
            self.torn_tail, self.open_end = b"", True

    def _read(self, raw: bytes, torn: bool = False) -> None:
        self._numbers += 1
        if not raw.strip():
            return
        try:
            line = parse_raw(raw)
        except LineError as exc:
            reason = f"a torn last line ({exc})" if torn else str(exc)
            self.bad.append(BadLine(self._numbers, reason))
            return
        self._add(line)

    def _add(self, line: Line) -> None:
        self.lines.append(line)
        self.by_episode.setdefault(line.episode, []).append(line)
        if line.id is not None:
            self.by_id.setdefault((line.episode, line.id), line)

    def warn(self) -> None:
        """One warning line for each bad line not named yet in this process."""
        torn = [BadLine(self._numbers + 1, "a torn last line (a save cut short)")]
        for bad in self.bad + (torn if self.torn_tail else []):
            if (str(self.path), bad.number) in _warned:
                continue
            _warned.add((str(self.path), bad.number))
            log.warning(
                f"warning: {self.path}:{bad.number}: skipped, not a corrections line: {bad.reason}; "
                f"the next change to the review sets it aside in {REJECTED}"
            )

    def append(self, line: Line) -> tuple[Line, bool]:
        """Append `line` and return it as written, or the line a change with the same id already
        wrote (and True). A line written since the version the change was made on that touches
        the same thing makes it a conflict: written, marked with that line, never applied."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(self.path.parent / _LOCK):
            self.refresh()
            if self.bad or self.torn_tail or self.open_end:
                self._repair()
            if line.id is not None and (line.episode, line.id) in self.by_id:
                return self.by_id[(line.episode, line.id)], True
            line = dataclasses.replace(line, conflict=self._conflict(line))
            data = (json.dumps(line.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
            _append_bytes(self.path, data)
            stat = os.stat(self.path)
            self._identity = (stat.st_dev, stat.st_ino)
            self._offset += len(data)
            self._numbers += 1
            self._add(line)
        return line, False

    def _conflict(self, line: Line) -> Conflict | None:
        if line.version is None:
            return None
        existing = self.by_episode.get(line.episode, [])
        for version, earlier in enumerate(existing[line.version :], line.version):
            if (
                earlier.conflict is None
                and earlier.config_hash == line.config_hash
                and line.conflicts_with(earlier)
            ):
                return Conflict(earlier.time, earlier.reviewer, version)
        return None

    def _repair(self) -> None:
        """Set the bad lines aside in corrections.rejected, then write the file again without them
        (and with an end to its last line)."""
        good, bad = [], []
        for raw in self.path.read_bytes().split(b"\n"):
            if raw.strip():
                (good if _is_line(raw) else bad).append(raw + b"\n")
        if bad:
            with open(self.rejected_path, "ab") as handle:  # first, so a kill here loses nothing
                handle.write(b"".join(bad))
        temporary = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}")
        temporary.write_bytes(b"".join(good))
        os.replace(temporary, self.path)
        if bad:
            log.warning(
                f"warning: {self.path}: repaired; {len(bad)} line(s) that were not corrections "
                f"lines set aside in {self.rejected_path}"
            )
        self._reset()
        self.refresh()


def _is_line(raw: bytes) -> bool:
    try:
        parse_raw(raw)
    except LineError:
        return False
    return True


def _append_bytes(path: Path, data: bytes) -> None:
    """One write to a file opened for appending (a short write, rare, goes on where it stopped)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Only one writer at a time, so a version check, a repair and an append are one step."""
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_lines(path: str | Path) -> list[Line]:
    """Every good line of a corrections file (none when it does not exist); bad lines are
    skipped, each named in one warning line."""
    file = CorrectionsFile(path)
    file.refresh(complete=True)
    file.warn()
    return file.lines
