"""File names for episode keys: keys hold any characters, file names must not."""

from __future__ import annotations

import hashlib
import re

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def episode_file_stem(key: str) -> str:
    """A readable, file-name-safe stem that stays unique: the key's tail plus a short hash."""
    return f"{_SAFE.sub('_', key)[-100:]}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"
