"""The run manifest: which episodes are finished, one committed file per episode.

Layout under ``OUT/manifest/``: ``run.json`` (the settings that made the annotations and their
hash) and ``episodes/<name>.json`` (one episode's annotation, see annotation_io; names as
file_names.py makes them: never hidden, so only temporary files start with '.'). Every file is
written under a temporary name and renamed into place, so a file that exists is complete; a run
killed at any moment leaves at most a temporary file, which readers skip and the next run removes.
Paths may be local or gs:// / s3:// (Beam's file systems).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ecot_annotate import fs
from ecot_annotate.episode import Annotation
from ecot_annotate.file_names import episode_file_stem
from ecot_annotate.store.annotation_io import annotation_from_json, annotation_to_json

MANIFEST = "manifest"
TMP_PREFIX = ".tmp-"


def atomic_write(path: str, data: bytes) -> None:
    """Write to a temporary sibling, then rename over `path` (atomic on local disks and object stores)."""
    folder, name = path.rsplit("/", 1)
    tmp = f"{folder}/{TMP_PREFIX}{uuid.uuid4().hex[:12]}-{name}"
    with fs.create(tmp) as handle:
        handle.write(data)
    fs.rename([tmp], [path])


class Manifest:
    """The committed episodes of one output folder."""

    def __init__(self, out: str):
        self.root = f"{out.rstrip('/')}/{MANIFEST}"

    def episode_path(self, key: str) -> str:
        return f"{self.root}/episodes/{episode_file_stem(key)}.json"

    def commit(self, key: str, annotation: Annotation) -> None:
        atomic_write(self.episode_path(key), annotation_to_json(key, annotation).encode())

    def load(self, key: str) -> Annotation | None:
        """The committed annotation of `key`, or None when the episode is not finished."""
        path = self.episode_path(key)
        if not fs.exists(path):
            return None
        found, annotation = annotation_from_json(fs.read_text(path))
        return annotation if found == key else None

    def committed_paths(self) -> list[str]:
        """Every committed episode file (temporary files of a killed run left out)."""
        matched = fs.match(f"{self.root}/episodes/*.json")
        return sorted(p for p in matched if not p.rsplit("/", 1)[-1].startswith(TMP_PREFIX))

    def count(self) -> int:
        return len(self.committed_paths())

    def run_info(self) -> dict[str, Any] | None:
        path = f"{self.root}/run.json"
        if not fs.exists(path):
            return None
        return json.loads(fs.read_text(path))

    def start(self, config_hash: str, config: dict[str, Any], content: dict[str, Any]) -> None:
        """Record the settings of this run (all of them, and those its hash covers, so a later run
        can name what differs) and drop temporary files a killed run left behind."""
        fs.delete_matching(f"{self.root}/episodes/{TMP_PREFIX}*")
        record = {"config_hash": config_hash, "config": config, "content": content}
        atomic_write(f"{self.root}/run.json", json.dumps(record, indent=2, sort_keys=True).encode())

    def clear(self) -> None:
        fs.delete_matching(f"{self.root}/episodes/*")
        fs.delete_matching(f"{self.root}/episodes/{TMP_PREFIX}*")
        fs.delete_matching(f"{self.root}/run.json")
