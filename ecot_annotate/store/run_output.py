"""Read back a finished run (for `show`, `stats`, `report`, `export`, `train`).

Every run has its manifest (one committed annotation per episode), whatever formats it wrote, so
the annotations are read from the Parquet steps when the run wrote them and from the manifest
otherwise. The frames, the state and the instruction are only in the Parquet output: what needs
them (`report`, `train`) says so, and how to add it.

Both read through the run's corrections (store/corrections.py): episodes people rejected are left
out and corrected episodes carry the corrected fields, rebuilt from the committed annotation, so
every reader sees the same corrected run. `corrected=False` reads what the machine wrote.
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
from ecot_annotate.store.corrections import Corrections, corrections_path
from ecot_annotate.store.manifest import MANIFEST, TMP_PREFIX, Manifest


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


def run_root(run_or_parquet: str | Path) -> Path | None:
    """The run folder a path belongs to (the folder itself or its parquet/'s parent), if any."""
    path = Path(run_or_parquet)
    for candidate in (path, path.parent):
        if (candidate / MANIFEST).is_dir():
            return candidate
    return None


def run_corrections(run_or_parquet: str | Path) -> Corrections | None:
    """The corrections of the run `run_or_parquet` belongs to; None when it has none."""
    root = run_root(run_or_parquet)
    if root is None or not corrections_path(root).is_file():
        return None
    return Corrections.load(root)


class CorrectedSteps:
    """A run's steps with some episodes' rows replaced: the Parquet files for the episodes people
    left as they were, an in-memory table for the corrected ones (pyarrow cannot union a filtered
    dataset, so this answers the part of the Dataset interface readers use)."""

    def __init__(self, files: pads.Dataset, replaced: set[str], corrected: pa.Table):
        self.files, self.corrected = files, pads.dataset(corrected)
        self.kept = ~pads.field("episode_key").isin(sorted(replaced))
        self.schema = files.schema

    def _parts(self, filter: pads.Expression | None):
        both = self.kept if filter is None else self.kept & filter
        return ((self.files, both), (self.corrected, filter))

    def to_batches(self, columns=None, filter=None, batch_size: int = 131_072):
        for dataset, where in self._parts(filter):
            yield from dataset.to_batches(columns=columns, filter=where, batch_size=batch_size)

    def to_table(self, columns=None, filter=None) -> pa.Table:
        tables = [d.to_table(columns=columns, filter=f) for d, f in self._parts(filter)]
        return pa.concat_tables(tables, promote_options="permissive")

    def count_rows(self, filter=None) -> int:
        return sum(d.count_rows(filter=f) for d, f in self._parts(filter))


def with_annotation(table: pa.Table, key: str, annotation: Annotation) -> pa.Table:
    """One episode's rows (in step order) with every column the annotation makes rebuilt from it."""
    fixed = manifest_rows(key, annotation)
    for name in fixed[0]:
        if name in table.schema.names and name not in ("episode_key", "step", "n_steps"):
            spec = table.schema.field(name)
            column = pa.array([row[name] for row in fixed], type=spec.type)
            table = table.set_column(table.schema.get_field_index(name), spec, column)
    return table


def _corrected(
    dataset: pads.Dataset, root: Path, corrections: Corrections
) -> pads.Dataset | CorrectedSteps:
    """`dataset` with rejected episodes left out and corrected episodes' rows rebuilt."""
    keys = set(dataset.to_table(columns=["episode_key"]).column("episode_key").to_pylist())
    rejected, edited = corrections.rejected & keys, corrections.edited & keys
    if not rejected and not edited:
        return dataset
    manifest = Manifest(str(root))
    tables = [dataset.schema.empty_table()]
    for key in sorted(edited):
        annotation = manifest.load(key)
        if annotation is None:  # Parquet without its manifest entry: nothing to rebuild from
            raise InputError(
                f"{root} has corrections for episode {key!r} but no committed annotation of it in {MANIFEST}/"
            )
        table = dataset.to_table(filter=pads.field("episode_key") == key).sort_by("step")
        tables.append(with_annotation(table, key, corrections.apply(key, annotation)))
    return CorrectedSteps(dataset, rejected | edited, pa.concat_tables(tables))


def open_steps(
    run_or_parquet: str | Path, needed_for: str = "this command", corrected: bool = True
) -> pads.Dataset:
    """The run's Parquet steps, frames included, through its corrections."""
    dataset = pads.dataset(str(parquet_dir(run_or_parquet, needed_for)), format="parquet")
    corrections = run_corrections(run_or_parquet) if corrected else None
    if corrections is None:
        return dataset
    return _corrected(dataset, run_root(run_or_parquet), corrections)


def open_annotations(run_or_parquet: str | Path, corrected: bool = True) -> pads.Dataset:
    """The run's annotated steps through its corrections: the Parquet steps, or the manifest's
    annotations as rows."""
    path = Path(run_or_parquet)
    _check_exists(path)
    found = _parquet_files(path)
    corrections = run_corrections(path) if corrected else None
    if found is not None:
        dataset = pads.dataset(str(found), format="parquet")
        return dataset if corrections is None else _corrected(dataset, run_root(path), corrections)
    files = _manifest_files(path)
    if not files:
        raise InputError(
            f"{path} holds no annotation output (no {MANIFEST}/ and no parquet/); run `ecot-annotate annotate` first"
        )
    rows = []
    for file in files:
        key, annotation = annotation_from_json(file.read_text())
        if corrections is not None:
            annotation = corrections.apply(key, annotation)
            if annotation is None:
                continue
        rows.extend(manifest_rows(key, annotation))
    if not rows:
        raise InputError(f"{path}/{MANIFEST} holds no annotated steps")
    schema = load_schema()
    return pads.dataset(
        pa.Table.from_pylist(rows, schema=pa.schema([schema.field(n) for n in rows[0]]))
    )


def manifest_rows(key: str, ann: Annotation) -> list[dict]:
    """Step rows of one committed annotation, in the Parquet schema's names and shapes."""
    n_steps = ann.n_steps
    return [
        {"episode_key": key, "step": t, "n_steps": n_steps, **annotation_fields(ann, t)}
        for t in range(n_steps)
    ]


def episode_keys(run_or_parquet: str | Path, corrected: bool = True) -> list[str]:
    """Episode keys in sorted order (the order `--episode INDEX` counts in)."""
    table = open_annotations(run_or_parquet, corrected).to_table(columns=["episode_key"])
    return sorted(set(table.column("episode_key").to_pylist()))


def resolve_episode(run_or_parquet: str | Path, episode: str) -> str:
    """The key `episode` names: a key, or an index in the key order of every episode the run
    annotated (rejected ones too, so an index names the same episode before and after a review,
    as the review page numbers them). A rejected episode is an error saying so."""
    keys = episode_keys(run_or_parquet, corrected=False)
    key = episode
    if episode not in keys and episode.lstrip("-").isdigit():
        index = int(episode)
        if not -len(keys) <= index < len(keys):
            raise InputError(f"episode index {index} is out of range: the run has {len(keys)} episodes")  # fmt: skip
        key = keys[index]
    corrections = run_corrections(run_or_parquet)
    if corrections is not None and key in corrections.rejected:
        reason = corrections.review(key).verdict.reason or "no reason given"
        raise InputError(
            f"episode '{key}' was rejected in review ({reason}); the run leaves it out"
        )
    if key in keys:
        return key
    raise InputError(
        f"no episode '{episode}' in the run ({len(keys)} episodes; pass a key or an index)"
    )


def episode_table(
    run_or_parquet: str | Path, key: str, columns: list[str] | None = None, corrected: bool = True
) -> pa.Table:
    """One episode's rows in step order; columns the run does not hold are left out."""
    dataset = open_annotations(run_or_parquet, corrected)
    if columns is not None:
        columns = [c for c in columns if c in dataset.schema.names]
    table = dataset.to_table(columns=columns, filter=pads.field("episode_key") == key)
    return table.sort_by("step")
