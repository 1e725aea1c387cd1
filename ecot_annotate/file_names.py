"""File names for episode keys: keys hold any characters, file names must not.

A name is a hash of the whole key followed by the key's readable tail: unique for keys of any
characters (undecodable bytes included), never starting with '.' (readers skip hidden and
temporary files), and still telling a person which episode it holds. The tail is the end of the
key because a file path's end (the file name, the episode id) is what tells episodes apart.
"""

from __future__ import annotations

import hashlib
import re

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
TAIL = 80  # readable characters of the key kept in a file name


def episode_file_stem(key: str) -> str:
    """`<sha1 of the key, 16 hex>-<last TAIL file-safe characters of the key>`."""
    digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{digest}-{_SAFE.sub('_', key)[-TAIL:]}"
