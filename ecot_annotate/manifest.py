"""The run manifest: which episodes are finished, one committed file per episode.

Layout under ``OUT/manifest/``: ``run.json`` (the settings that made the annotations and their
hash) and ``episodes/<name>.json`` (one episode's annotation, see annotation_io). Every file is
written under a temporary name and renamed into place, so a file that exists is complete; a run
killed at any moment leaves at most a temporary file, which readers skip and the next run removes.
Paths may be local or gs:// / s3:// (Beam's file systems).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from ecot_annotate.annotation_io import annotation_from_json, annotation_to_json
from ecot_annotate.episode import Annotation
from ecot_annotate.sources.rlds import safe_name

MANIFEST = "manifest"
TMP_PREFIX = ".tmp-"


def _fs():
    from apache_beam.io.filesystems import FileSystems

    return FileSystems


def atomic_write(path: str, data: bytes) -> None:
    """Write to a temporary sibling, then rename over `path` (atomic on local disks and object stores)."""
    folder, name = path.rsplit("/", 1)
    tmp = f"{folder}/{TMP_PREFIX}{uuid.uuid4().hex[:12]}-{name}"
    with _fs().create(tmp) as handle:
        handle.write(data)
    _fs().rename([tmp], [path])


def delete_matching(pattern: str) -> None:
    paths = [m.path for m in _fs().match([pattern])[0].metadata_list]
    if paths:
        _fs().delete(paths)


class Manifest:
    """The committed episodes of one output folder."""

    def __init__(self, out: str):
        self.root = f"{out.rstrip('/')}/{MANIFEST}"

    def episode_path(self, key: str) -> str:
        digest = hashlib.sha1(key.encode()).hexdigest()[:12]
        return f"{self.root}/episodes/{safe_name(key)[-100:]}-{digest}.json"

    def commit(self, key: str, annotation: Annotation) -> None:
        atomic_write(self.episode_path(key), annotation_to_json(key, annotation).encode())

    def load(self, key: str) -> Annotation | None:
        """The committed annotation of `key`, or None when the episode is not finished."""
        path = self.episode_path(key)
        if not _fs().exists(path):
            return None
        with _fs().open(path) as handle:
            found, annotation = annotation_from_json(handle.read().decode())
        return annotation if found == key else None

    def count(self) -> int:
        matched = _fs().match([f"{self.root}/episodes/*.json"])[0].metadata_list
        return sum(1 for m in matched if not m.path.rsplit("/", 1)[-1].startswith(TMP_PREFIX))

    def run_info(self) -> dict[str, Any] | None:
        path = f"{self.root}/run.json"
        if not _fs().exists(path):
            return None
        with _fs().open(path) as handle:
            return json.loads(handle.read())

    def start(self, config_hash: str, config: dict[str, Any]) -> None:
        """Record the settings of this run and drop temporary files a killed run left behind."""
        delete_matching(f"{self.root}/episodes/{TMP_PREFIX}*")
        atomic_write(
            f"{self.root}/run.json",
            json.dumps(
                {"config_hash": config_hash, "config": config}, indent=2, sort_keys=True
            ).encode(),
        )

    def clear(self) -> None:
        delete_matching(f"{self.root}/episodes/*")
        delete_matching(f"{self.root}/episodes/{TMP_PREFIX}*")
        delete_matching(f"{self.root}/run.json")
