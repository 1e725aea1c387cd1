"""Move finished outputs into place: a run writes each format under a staging folder first.

A reader never sees a half-written format: on a local disk each format folder is swapped in with
two renames (old out of the way, new in); a crash between them leaves the format absent, never
partial. On object stores (gs://, s3://) there are no folders to rename, so files are moved one by
one and `summary.json`, written last, is what marks a finished run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from ecot_annotate import fs

STAGING = ".staging"
_OLD = ".old-"


def is_local(path: str) -> bool:
    return "://" not in path


def new_staging(out: str) -> str:
    """A fresh staging folder for one run; leftovers of killed runs are removed first."""
    clear_staging(out)
    return f"{out}/{STAGING}/{uuid.uuid4().hex[:12]}"


def clear_staging(out: str) -> None:
    if is_local(out):
        shutil.rmtree(Path(out) / STAGING, ignore_errors=True)
        for old in Path(out).glob(f"{_OLD}*") if Path(out).is_dir() else []:
            shutil.rmtree(old, ignore_errors=True)
        return
    fs.delete_matching(f"{out}/{STAGING}/**")


def publish(staging: str, out: str, names: list[str]) -> None:
    """Replace `out/NAME` by `staging/NAME` for every NAME the run produced."""
    for name in names:
        if is_local(out):
            _swap_local(Path(staging) / name, Path(out) / name)
        else:
            _move_remote(f"{staging}/{name}", f"{out}/{name}")


def _swap_local(src: Path, dst: Path) -> None:
    if not src.exists():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    old = dst.parent / f"{_OLD}{dst.name}-{uuid.uuid4().hex[:8]}"
    if dst.exists():
        os.rename(dst, old)
    os.rename(src, dst)
    shutil.rmtree(old, ignore_errors=True)


def _move_remote(src: str, dst: str) -> None:
    fs.delete_matching(f"{dst}/**")
    sources = fs.match(f"{src}/**")
    if sources:
        fs.rename(sources, [dst + p[len(src) :] for p in sources])
