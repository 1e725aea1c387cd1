"""A persistent cache of LLM answers: one JSON file per request, so reruns cost no tokens.

The key hashes everything that decides an answer: the prompt templates' hash, model, base URL,
token limit and the messages (which carry the episode's input). Files are written under a
temporary name and renamed, so concurrent workers and crashes never leave a half-written entry;
an unreadable entry counts as a miss. The folder may be local or gs:// / s3:// (Beam file systems).

Beside the answers, `sources/` holds one empty file per answer source (backend, server, model,
prompts, token limit) that ever wrote an answer here: a run whose server is down can then tell
whether its cache may stand in for it.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

from ecot_annotate import fs
from ecot_annotate.config import LLMConfig

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


def answer_source(config: LLMConfig, prompt_hash: str) -> str:
    """A name for everything besides the request that decides an answer."""
    return cache_key(
        backend=config.backend,
        server=config.base_url,
        model=config.model,
        prompt=prompt_hash,
        max_tokens=config.max_tokens,
    )[:32]


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

    def holds_answers_from(self, source: str) -> bool:
        try:
            return fs.exists(f"{self.folder}/sources/{source}")
        except OSError:
            return False

    def mark_source(self, source: str) -> None:
        """Note that `source` has written answers here (see the module's docstring)."""
        self._write(f"{self.folder}/sources/{source}", b"")

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._write(self._path(key), json.dumps(value).encode())

    def _write(self, path: str, data: bytes) -> None:
        if "://" not in path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        temporary = f"{path}.tmp-{uuid.uuid4().hex}"
        with fs.create(temporary) as handle:
            handle.write(data)
        fs.rename([temporary], [path])
