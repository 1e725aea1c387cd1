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
        move_into_place(f"{staging}/{name}", f"{out}/{name}")


def move_into_place(src: str, dst: str) -> None:
    """Replace the file or folder `dst` by `src` (nothing happens when `src` does not exist)."""
    if is_local(dst):
        _swap_local(Path(src), Path(dst))
    else:
        _move_remote(src, dst)


def _swap_local(src: Path, dst: Path) -> None:
    if not src.exists():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    old = dst.parent / f"{_OLD}{dst.name}-{uuid.uuid4().hex[:8]}"
    if dst.exists():
        os.rename(dst, old)
    os.rename(src, dst)
    if old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    elif old.exists():
        old.unlink()


def _move_remote(src: str, dst: str) -> None:
    if fs.exists(src) and not fs.match(f"{src}/**"):  # a single file
        fs.rename([src], [dst])
        return
    fs.delete_matching(f"{dst}/**")
    sources = fs.match(f"{src}/**")
    if sources:
        fs.rename(sources, [dst + p[len(src) :] for p in sources])
