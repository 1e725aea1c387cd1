"""Read back a finished run (for `show`, `stats`, `report`, `export`, `train`).

Every run has its manifest (one committed annotation per episode), whatever formats it wrote, so
the annotations are read from the Parquet steps when the run wrote them and from the manifest
otherwise. The frames, the state and the instruction are only in the Parquet output: what needs
them (`report`, `train`) says so, and how to add it.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads

from ecot_annotate.episode import Annotation
from ecot_annotate.errors import InputError
from ecot_annotate.sinks.parquet import annotation_fields
from ecot_annotate.sinks.schema import load_schema
from ecot_annotate.store.annotation_io import annotation_from_json
from ecot_annotate.store.manifest import MANIFEST, TMP_PREFIX


def _parquet_files(path: Path) -> Path | None:
    for candidate in (path / "parquet", path):
        if candidate.is_dir() and any(candidate.glob("*.parquet")):
            return candidate
    return None


def _manifest_files(path: Path) -> list[Path]:
    folder = path / MANIFEST / "episodes"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if not p.name.startswith(TMP_PREFIX))


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path} does not exist")


def parquet_dir(run_or_parquet: str | Path, needed_for: str = "this command") -> Path:
    """A run folder's parquet/ (or a folder of Parquet files), or an error saying how to add it."""
    path = Path(run_or_parquet)
    _check_exists(path)
    found = _parquet_files(path)
    if found is not None:
        return found
    if _manifest_files(path):
        raise InputError(
            f"{needed_for} needs the frames, which only the parquet output holds, and {path} has none; "
            f"add it with `ecot-annotate export {path} --to parquet {path / 'parquet'}`"
        )
    raise InputError(
        f"{path} holds no annotation output (no {MANIFEST}/ and no parquet/); run `ecot-annotate annotate` first"
    )


def open_steps(run_or_parquet: str | Path, needed_for: str = "this command") -> pads.Dataset:
    """The run's Parquet steps, frames included."""
    return pads.dataset(str(parquet_dir(run_or_parquet, needed_for)), format="parquet")


def open_annotations(run_or_parquet: str | Path) -> pads.Dataset:
    """The run's annotated steps: the Parquet steps, or the manifest's annotations as rows."""
    path = Path(run_or_parquet)
    _check_exists(path)
    found = _parquet_files(path)
    if found is not None:
        return pads.dataset(str(found), format="parquet")
    files = _manifest_files(path)
    if not files:
        raise InputError(
            f"{path} holds no annotation output (no {MANIFEST}/ and no parquet/); run `ecot-annotate annotate` first"
        )
    rows = []
    for file in files:
        key, annotation = annotation_from_json(file.read_text())
        rows.extend(manifest_rows(key, annotation))
    if not rows:
        raise InputError(f"{path}/{MANIFEST} holds no annotated steps")
    schema = load_schema()
    return pads.dataset(
        pa.Table.from_pylist(rows, schema=pa.schema([schema.field(n) for n in rows[0]]))
    )


def manifest_rows(key: str, ann: Annotation) -> list[dict]:
    """Step rows of one committed annotation, in the Parquet schema's names and shapes."""
    n_steps = len(ann.primitives)
    return [
        {"episode_key": key, "step": t, "n_steps": n_steps, **annotation_fields(ann, t)}
        for t in range(n_steps)
    ]


def episode_keys(run_or_parquet: str | Path) -> list[str]:
    """Episode keys in sorted order (the order `--episode INDEX` counts in)."""
    table = open_annotations(run_or_parquet).to_table(columns=["episode_key"])
    return sorted(set(table.column("episode_key").to_pylist()))


def resolve_episode(run_or_parquet: str | Path, episode: str) -> str:
    keys = episode_keys(run_or_parquet)
    if episode in keys:
        return episode
    if episode.lstrip("-").isdigit():
        index = int(episode)
        if -len(keys) <= index < len(keys):
            return keys[index]
        raise InputError(f"episode index {index} is out of range: the run has {len(keys)} episodes")
    raise InputError(
        f"no episode '{episode}' in the run ({len(keys)} episodes; pass a key or an index)"
    )


def episode_table(
    run_or_parquet: str | Path, key: str, columns: list[str] | None = None
) -> pa.Table:
    """One episode's rows in step order; columns the run does not hold are left out."""
    dataset = open_annotations(run_or_parquet)
    if columns is not None:
        columns = [c for c in columns if c in dataset.schema.names]
    table = dataset.to_table(columns=columns, filter=pads.field("episode_key") == key)
    return table.sort_by("step")
