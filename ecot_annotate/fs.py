"""File access for local, gs:// and s3:// paths through Beam's file systems (no Beam graph).

Every module that reads or writes run files goes through these few calls, so one place knows how
paths are matched, opened and moved.
"""

from __future__ import annotations

from typing import BinaryIO


def _fs():
    from apache_beam.io.filesystems import FileSystems

    return FileSystems


def exists(path: str) -> bool:
    return _fs().exists(path)


def open_read(path: str) -> BinaryIO:
    return _fs().open(path)


def create(path: str) -> BinaryIO:
    return _fs().create(path)


def size(path: str) -> int:
    return _fs().match([path])[0].metadata_list[0].size_in_bytes


def match(pattern: str) -> list[str]:
    """Paths matching a glob pattern, sorted."""
    return sorted(m.path for m in _fs().match([pattern])[0].metadata_list)


def match_sizes(pattern: str) -> list[tuple[str, int]]:
    """(path, size in bytes) of every path matching a glob pattern, sorted by path."""
    found = _fs().match([pattern])[0].metadata_list
    return sorted((m.path, m.size_in_bytes) for m in found)


def delete_matching(pattern: str) -> None:
    paths = match(pattern)
    if paths:
        _fs().delete(paths)


def rename(sources: list[str], targets: list[str]) -> None:
    _fs().rename(sources, targets)


def copy(sources: list[str], targets: list[str]) -> None:
    _fs().copy(sources, targets)


def mkdirs(path: str) -> None:
    if not exists(path):
        _fs().mkdirs(path)


def read_text(path: str) -> str:
    with open_read(path) as handle:
        return handle.read().decode()


def read_lines(pattern: str) -> list[str]:
    """Every line of every file matching `pattern`, files in path order."""
    lines: list[str] = []
    for path in match(pattern):
        lines.extend(read_text(path).splitlines())
    return lines
