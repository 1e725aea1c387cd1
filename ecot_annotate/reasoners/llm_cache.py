"""A persistent cache of LLM answers: one JSON file per request, so reruns cost no tokens.

The key hashes everything that decides an answer: the prompt templates' hash, model, base URL,
token limit and the messages (which carry the episode's input). Files are written under a
temporary name and renamed, so concurrent workers and crashes never leave a half-written entry;
an unreadable entry counts as a miss. The folder may be local or gs:// / s3:// (Beam file systems).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

from ecot_annotate import fs

ENV = "ECOT_ANNOTATE_CACHE"


def default_cache_dir() -> str:
    """$ECOT_ANNOTATE_CACHE, else the user's cache folder (XDG_CACHE_HOME or ~/.cache)."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "ecot-annotate" / "llm")


def cache_key(**parts: Any) -> str:
    return hashlib.sha256(
        json.dumps(parts, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


class AnswerCache:
    def __init__(self, folder: str):
        self.folder = folder.rstrip("/")

    def _path(self, key: str) -> str:
        return f"{self.folder}/{key[:2]}/{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            if not fs.exists(path):
                return None
            return json.loads(fs.read_text(path))
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: dict[str, Any]) -> None:
        path = self._path(key)
        if "://" not in path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        temporary = f"{path}.tmp-{uuid.uuid4().hex}"
        with fs.create(temporary) as handle:
            handle.write(json.dumps(value).encode())
        fs.rename([temporary], [path])
