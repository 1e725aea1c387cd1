"""Convert a finished run into another format without annotating again.

`export RUN --to FORMAT PATH` writes that format's product at PATH and nothing else: the ECoT JSON
file for `ecot-json`, the format's folder for `parquet`, `rlds` and `lerobot`. The work happens in a
hidden folder beside PATH: the run's committed annotations are copied there (its settings come
from its run.json) and the pipeline runs with nothing left to annotate (source episodes are read again, since
RLDS records and LeRobot frames are what the formats copy, and joined with their committed
annotation by key); the finished product is then moved to PATH and the folder removed.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from collections.abc import Callable
from typing import Any

from ecot_annotate import fs
from ecot_annotate.errors import InputError
from ecot_annotate.store.annotation_io import annotation_from_json
from ecot_annotate.store.corrections import Corrections
from ecot_annotate.store.manifest import MANIFEST, Manifest
from ecot_annotate.store.run_config import recorded_config
from pipelines.formats import FORMATS
from pipelines.publish import is_local, move_into_place
from pipelines.run import run


def export(
    run_dir: str,
    to: str,
    path: str,
    progress: bool = False,
    announce: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write the annotations of `run_dir` as format `to` at `path`; return the export's summary.
    `announce` receives the run's profile block, with what the input's metadata gets wrong."""
    fmt = FORMATS.get(to)
    run_dir, path = run_dir.rstrip("/"), path.rstrip("/")
    recorded = recorded_config(run_dir)
    if fs.exists(path):
        raise InputError(f"{path} already exists; choose a new path for the export")
    work = _work_folder(path)
    try:
        _copy_manifest(run_dir, work)
        config = dataclasses.replace(
            recorded,
            out=work,
            formats=(to,),
            overwrite=False,
            allow_quarantine=True,
        )
        summary = run(config, progress=progress, annotate_missing=False, announce=announce)
        move_into_place(f"{work}/{fmt.product}", path)
    finally:
        _remove(work)
    return summary


def _work_folder(path: str) -> str:
    """A hidden sibling of `path`: same file system, so the product moves by renaming."""
    parent, _, name = (path if "://" in path else os.path.abspath(path)).rpartition("/")
    return f"{parent}/.{name}.export-{uuid.uuid4().hex[:8]}"


def _remove(folder: str) -> None:
    if is_local(folder):
        shutil.rmtree(folder, ignore_errors=True)
    else:
        fs.delete_matching(f"{folder}/**")


def _copy_manifest(src: str, dst: str) -> None:
    """The committed annotations only, through the run's corrections: the export records its own
    settings (its one format)."""
    sources = Manifest(src).committed_paths()
    corrections = Corrections.load(src)
    if corrections.episodes:
        _write_corrected(sources, Manifest(dst), corrections)
        return
    targets = [f"{dst}/{MANIFEST}/episodes/{p.rsplit('/', 1)[-1]}" for p in sources]
    fs.mkdirs(f"{dst}/{MANIFEST}/episodes")
    if sources:
        fs.copy(sources, targets)


def _write_corrected(sources: list[str], target: Manifest, corrections: Corrections) -> None:
    """Commit each annotation as corrected; a rejected one is not committed, so not exported."""
    for source in sources:
        key, annotation = annotation_from_json(fs.read_text(source))
        corrected = corrections.apply(key, annotation)
        if corrected is not None:
            target.commit(key, corrected)
