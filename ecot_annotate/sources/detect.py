"""Which source reads an input folder, told from the folder itself (`--source auto`).

An RLDS (TFDS) version folder holds `dataset_info.json`; a LeRobot dataset holds `meta/info.json`.
A named source that contradicts the folder gets a hint instead of the reader's own error, and a
path that is not there is said to be missing, not to be of the wrong kind.
"""

from __future__ import annotations

from pathlib import Path

from ecot_annotate.errors import InputError

AUTO = "auto"
MARKERS = {"rlds": "dataset_info.json", "lerobot": "meta/info.json"}
_NAMES = {"rlds": "an RLDS (TFDS) dataset", "lerobot": "a LeRobot dataset"}


def _is_remote(path: str) -> bool:
    return "://" in path


def _exists(path: str) -> bool:
    if not _is_remote(path):
        return Path(path).expanduser().exists()
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.exists(path)


def _version_folders(path: str) -> list[str]:
    """Subfolders holding an RLDS version (a dataset's root given instead of NAME/VERSION)."""
    if _is_remote(path) or not Path(path).is_dir():
        return []
    return sorted(p.name for p in Path(path).iterdir() if (p / MARKERS["rlds"]).is_file())


def sources_found(path: str) -> list[str]:
    """The sources whose marker file the folder holds."""
    root = path.rstrip("/")
    return [name for name, marker in MARKERS.items() if _exists(f"{root}/{marker}")]


def resolve_source(path: str, requested: str = AUTO) -> str:
    """The source to read `path` with: `requested`, or the one the folder's layout names."""
    if not _exists(path):
        raise InputError(f"{path} does not exist")
    found = sources_found(path)
    if requested == AUTO:
        if found:
            return found[0]
        versions = _version_folders(path)
        if versions:
            raise InputError(
                f"{path} holds RLDS version folders ({', '.join(versions)}); "
                f"pass one of them, e.g. {path.rstrip('/')}/{versions[-1]}"
            )
        raise InputError(
            f"{path} is neither an RLDS (TFDS) version folder (no {MARKERS['rlds']}) "
            f"nor a LeRobot dataset (no {MARKERS['lerobot']})"
        )
    if found and requested not in found:
        other = found[0]
        raise InputError(
            f"{path} is {_NAMES[other]} ({MARKERS[other]}), not {_NAMES.get(requested, requested)}; "
            f"pass --source {other} or leave --source auto"
        )
    return requested
