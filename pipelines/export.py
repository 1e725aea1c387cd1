"""Convert a finished run into another format without annotating again.

The run's manifest (its committed annotations and settings) is copied beside the new output, and
the pipeline runs with nothing left to annotate: source episodes are read again (RLDS records or
LeRobot frames are what the formats copy) and joined with their committed annotation by key.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ecot_annotate import fs
from ecot_annotate.config import AnnotateConfig
from ecot_annotate.errors import InputError
from ecot_annotate.store.manifest import MANIFEST, Manifest
from pipelines.formats import FORMATS
from pipelines.run import run


def config_from_dict(data: dict[str, Any]) -> AnnotateConfig:
    """Rebuild the AnnotateConfig a run recorded (nested settings and tuples included)."""
    blank = AnnotateConfig(input="", out="")
    values = {}
    for f in dataclasses.fields(AnnotateConfig):
        if f.name not in data:
            continue
        default, value = getattr(blank, f.name), data[f.name]
        if dataclasses.is_dataclass(default) and isinstance(value, dict):
            known = {g.name for g in dataclasses.fields(default)}
            nested = {
                k: tuple(v) if isinstance(v, list) else v for k, v in value.items() if k in known
            }
            value = type(default)(**nested)
        elif isinstance(default, tuple) and isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return AnnotateConfig(**values)


def export(run_dir: str, to: str, path: str, progress: bool = False) -> dict[str, Any]:
    """Write the annotations of `run_dir` as format `to` under `path`; return the export's summary."""
    FORMATS.get(to)
    run_dir, path = run_dir.rstrip("/"), path.rstrip("/")
    info = Manifest(run_dir).run_info()
    if info is None:
        raise InputError(
            f"{run_dir} holds no run manifest ({MANIFEST}/run.json); run `ecot-annotate annotate` first"
        )
    if (
        Manifest(path).run_info() is not None
        and Manifest(path).run_info()["config_hash"] != info["config_hash"]
    ):
        raise InputError(f"{path} holds another run's output; choose an empty folder")
    _copy_manifest(run_dir, path)
    config = dataclasses.replace(
        config_from_dict(info["config"]),
        out=path,
        formats=(to,),
        overwrite=False,
        allow_quarantine=True,
    )
    return run(config, progress=progress, annotate_missing=False)


def _copy_manifest(src: str, dst: str) -> None:
    sources = fs.match(f"{src}/{MANIFEST}/episodes/*.json")
    sources = [p for p in sources if not p.rsplit("/", 1)[-1].startswith(".")]
    targets = [f"{dst}/{MANIFEST}/episodes/{p.rsplit('/', 1)[-1]}" for p in sources]
    fs.mkdirs(f"{dst}/{MANIFEST}/episodes")
    if sources:
        fs.copy(sources, targets)
    fs.copy([f"{src}/{MANIFEST}/run.json"], [f"{dst}/{MANIFEST}/run.json"])
