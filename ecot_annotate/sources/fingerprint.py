"""A dataset's identity that does not depend on the path it is reached by.

The same dataset passed by a relative or an absolute path, or copied elsewhere, is the same input;
so a rerun resumes from it instead of being refused as "other settings". The fingerprint is the
sorted names and sizes of the files under the dataset folder: cheap (no file is read), and it
changes when a shard or a metadata file is added, removed or resized.
"""

from __future__ import annotations

import hashlib

from ecot_annotate import fs


def dataset_fingerprint(root: str) -> str:
    """`sha256:<16 hex>` over every file's path relative to `root` and its size."""
    root = root.rstrip("/")
    digest = hashlib.sha256()
    for path, size in fs.match_sizes(f"{root}/**"):
        digest.update(f"{path[len(root) :].lstrip('/')}\0{size}\n".encode())
    return f"sha256:{digest.hexdigest()[:16]}"
