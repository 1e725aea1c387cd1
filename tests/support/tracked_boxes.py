"""A run with tracked boxes in its manifest and its Parquet steps alike, for the box corrections."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate.episode import Box


def with_tracked_boxes(run: Path, folder: Path, label: str = "cup") -> Path:
    """A copy of `run` (without its review) whose every step has two tracked boxes, `label` #3 and
    bowl #1, and a gripper point, committed in its manifest and written into its Parquet steps
    alike (as perception would)."""
    import pyarrow.compute as pc

    from ecot_annotate.store.manifest import Manifest
    from ecot_annotate.store.run_output import episode_keys, with_annotation

    shutil.copytree(run, folder, ignore=shutil.ignore_patterns("review"))  # no one reviewed it yet
    manifest = Manifest(str(folder))
    annotations = {}
    for key in episode_keys(folder):
        annotation = manifest.load(key)
        n = annotation.n_steps
        annotation.bboxes = [
            [
                Box(label, 0.81, (20.0, 40.0, 120.0, 140.0), 3),
                Box("bowl", 0.55, (130.0, 120.0, 220.0, 200.0), 1),
            ]  # fmt: skip
            for _ in range(n)
        ]
        annotation.gripper = np.array([[60.0 + 2 * t, 50.0 + t] for t in range(n)])
        manifest.commit(key, annotation)
        annotations[key] = annotation
    for path in (folder / "parquet").glob("*.parquet"):
        table = pq.read_table(path)
        parts = []
        for key in sorted(set(table.column("episode_key").to_pylist())):
            rows = table.filter(pc.equal(table["episode_key"], key)).sort_by("step")
            parts.append(with_annotation(rows, key, annotations[key]))
        pq.write_table(pa.concat_tables(parts), path)
    return folder
