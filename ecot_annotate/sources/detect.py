"""Which source reads an input folder, told from the folder itself (`--source auto`).

Each registered source names a marker file only its folders hold (an RLDS version folder holds
`dataset_info.json`, a LeRobot dataset `meta/info.json`). A named source that contradicts the
folder gets a hint instead of the reader's own error, and a path that is not there is said to be
missing, not to be of the wrong kind.
"""

from __future__ import annotations

from pathlib import Path

from ecot_annotate import fs
from ecot_annotate.errors import InputError
from ecot_annotate.sources.base import SOURCES

AUTO = "auto"


def _exists(path: str) -> bool:
    return fs.exists(path) if "://" in path else Path(path).expanduser().exists()


def _version_folders(path: str, marker: str) -> list[str]:
    """Subfolders holding a marker (a dataset's root given instead of NAME/VERSION)."""
    if "://" in path or not Path(path).is_dir():
        return []
    return sorted(p.name for p in Path(path).iterdir() if (p / marker).is_file())


def sources_found(path: str) -> list[str]:
    """The sources whose marker file the folder holds."""
    root = path.rstrip("/")
    return [n for n in SOURCES.names() if _exists(f"{root}/{SOURCES.get(n).marker}")]


def resolve_source(path: str, requested: str = AUTO) -> str:
    """The source to read `path` with: `requested`, or the one the folder's layout names."""
    if not _exists(path):
        raise InputError(f"{path} does not exist")
    found = sources_found(path)
    if requested == AUTO:
        if found:
            return found[0]
        for name in SOURCES.names():
            inside = _version_folders(path, SOURCES.get(name).marker)
            if inside:
                raise InputError(
                    f"{path} is not a dataset folder itself, but {path.rstrip('/')}/{inside[-1]} "
                    f"is {SOURCES.get(name).title}: pass that path"
                    + (f" (or another of {', '.join(inside)})" if len(inside) > 1 else "")
                )
        kinds = " nor ".join(
            f"{SOURCES.get(n).title} (no {SOURCES.get(n).marker})" for n in SOURCES.names()
        )
        raise InputError(f"{path} is neither {kinds}")
    if found and requested not in found:
        other = SOURCES.get(found[0])
        raise InputError(
            f"{path} is {other.title} ({other.marker}), not {SOURCES.get(requested).title}; "
            f"pass --source {found[0]} or leave --source auto"
        )
    return requested
