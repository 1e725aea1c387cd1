"""Convert a finished run into another format without annotating again.

`export RUN --to FORMAT PATH` writes that format's product at PATH and nothing else: the ECoT JSON
file for `ecot-json`, the format's folder for `parquet`, `rlds` and `lerobot`. The work happens in a
hidden folder beside PATH: the run's committed annotations are copied there (its settings come
from its run.json) and the pipeline runs with nothing left to annotate (source episodes are read again, since
RLDS records and LeRobot frames are what the formats copy, and joined with their committed
annotation by key); the finished product is then moved to PATH with one rename and the folder
removed. So an export killed at any moment leaves PATH absent or complete, never partial; the
folder a killed export leaves behind is removed by the next export to PATH.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ecot_annotate import fs
from ecot_annotate.errors import InputError
from ecot_annotate.store.annotation_io import annotation_from_json
from ecot_annotate.store.corrections import Corrections
from ecot_annotate.store.manifest import MANIFEST, Manifest
from ecot_annotate.store.run_config import recorded_config
from ecot_annotate.store.run_lock import pid_alive
from pipelines.formats import FORMATS
from pipelines.publish import is_local, move_into_place
from pipelines.resume import NOT_COMMITTED
from pipelines.run import run


def export(
    run_dir: str,
    to: str,
    path: str,
    progress: bool = False,
    announce: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write the annotations of `run_dir` as format `to` at `path`; return the export's summary,
    which names the episodes left out: `rejected_keys` (rejected in review) apart from
    `unannotated_keys` (the run committed no annotation of them). `announce` receives the run's
    profile block, with what the input's metadata gets wrong."""
    fmt = FORMATS.get(to)
    run_dir, path = run_dir.rstrip("/"), path.rstrip("/")
    recorded = recorded_config(run_dir)
    if fs.exists(path):
        raise InputError(f"{path} already exists; choose a new path for the export")
    _remove_leftovers(path)
    work = _work_folder(path)
    try:
        rejected = _copy_manifest(run_dir, work)
        config = dataclasses.replace(
            recorded,
            out=work,
            formats=(to,),
            overwrite=False,
            allow_quarantine=True,
        )
        summary = run(config, progress=progress, annotate_missing=False, announce=announce)
        left_out = {
            json.loads(line)["key"]
            for line in fs.read_lines(f"{work}/quarantine/*.jsonl")
            if line.strip() and json.loads(line)["stage"] == NOT_COMMITTED
        }
        summary["rejected_keys"] = sorted(left_out & rejected)
        summary["unannotated_keys"] = sorted(left_out - rejected)
        move_into_place(f"{work}/{fmt.product}", path)
    finally:
        _remove(work)
    return summary


def _work_prefix(path: str) -> str:
    parent, _, name = (path if "://" in path else os.path.abspath(path)).rpartition("/")
    return f"{parent}/.{name}.export-"


def _work_folder(path: str) -> str:
    """A hidden sibling of `path` named for this process: same file system, so the product moves
    by renaming."""
    return f"{_work_prefix(path)}{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _remove_leftovers(path: str) -> None:
    """Remove the work folders of exports to `path` that were killed (their process is gone)."""
    if not is_local(path):
        return
    prefix = Path(_work_prefix(path))
    for folder in prefix.parent.glob(f"{glob.escape(prefix.name)}*"):
        pid = folder.name[len(prefix.name) :].split("-")[0]
        if not pid.isdigit() or not pid_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _remove(folder: str) -> None:
    if is_local(folder):
        shutil.rmtree(folder, ignore_errors=True)
    else:
        fs.delete_matching(f"{folder}/**")


def _copy_manifest(src: str, dst: str) -> set[str]:
    """The committed annotations only, through the run's corrections: the export records its own
    settings (its one format). Returns the keys review rejected, which are not copied."""
    sources = Manifest(src).committed_paths()
    corrections = Corrections.load(src)
    if corrections.episodes:
        _write_corrected(sources, Manifest(dst), corrections)
        return corrections.rejected
    targets = [f"{dst}/{MANIFEST}/episodes/{p.rsplit('/', 1)[-1]}" for p in sources]
    fs.mkdirs(f"{dst}/{MANIFEST}/episodes")
    if sources:
        fs.copy(sources, targets)
    return set()


def _write_corrected(sources: list[str], target: Manifest, corrections: Corrections) -> None:
    """Commit each annotation as corrected; a rejected one is not committed, so not exported."""
    for source in sources:
        key, annotation = annotation_from_json(fs.read_text(source))
        corrected = corrections.apply(key, annotation)
        if corrected is not None:
            target.commit(key, corrected)
