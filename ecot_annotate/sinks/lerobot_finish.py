"""Lay the per-episode LeRobot parts out as a LeRobot v3.0 dataset: data/, meta/, info.json.

Episodes are numbered in key order. Each part is read and written a few frames at a time, and the
statistics are kept as running sums, so memory grows neither with the number of episodes nor with
their length.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate import fs
from ecot_annotate.layouts.lerobot import (
    CHUNKS_SIZE,
    CODEBASE_VERSION,
    DATA_PATH,
    EPISODES,
    INFO,
    STATS,
    TASKS,
    chunk_file,
    tasks_table,
    validate,
)
from ecot_annotate.sinks.lerobot import FRAMES_PER_GROUP, PARTS


class _Stats:
    """Running min/max/mean/std of one numeric feature, as LeRobot's stats.json holds them."""

    def __init__(self):
        self.count, self.sum, self.sumsq, self.min, self.max = 0, 0.0, 0.0, None, None

    def add(self, values: np.ndarray) -> None:
        values = values.astype(np.float64).reshape(len(values), -1)
        self.count += len(values)
        self.sum = self.sum + values.sum(0)
        self.sumsq = self.sumsq + (values**2).sum(0)
        self.min = values.min(0) if self.min is None else np.minimum(self.min, values.min(0))
        self.max = values.max(0) if self.max is None else np.maximum(self.max, values.max(0))

    def as_dict(self) -> dict:
        mean = self.sum / self.count
        std = np.sqrt(np.maximum(self.sumsq / self.count - mean**2, 0.0))
        return {
            "min": self.min.tolist(),
            "max": self.max.tolist(),
            "mean": mean.tolist(),
            "std": std.tolist(),
            "count": [self.count],
        }


def _features(
    schema: pa.Schema, camera: str, width: int, height: int, state_dim: int, action_dim: int
) -> dict:
    return {
        camera: {
            "dtype": "image",
            "shape": [height, width, 3],
            "names": ["height", "width", "channels"],
        },
        "observation.state": {"dtype": "float32", "shape": [state_dim], "names": None},
        "action": {"dtype": "float32", "shape": [action_dim], "names": None},
        "timestamp": {"dtype": "float32", "shape": [1], "names": None},
        "frame_index": {"dtype": "int64", "shape": [1], "names": None},
        "episode_index": {"dtype": "int64", "shape": [1], "names": None},
        "index": {"dtype": "int64", "shape": [1], "names": None},
        "task_index": {"dtype": "int64", "shape": [1], "names": None},
        "language_persistent": {"dtype": "language", "shape": [1], "names": None},
        "language_events": {"dtype": "language", "shape": [1], "names": None},
        "ecot.chain": {"dtype": "string", "shape": [1], "names": None},
    }


def _parts(staging: str) -> list[tuple[str, str]]:
    parts = []
    for path in fs.match(f"{staging}/{PARTS}/*.parquet"):
        with fs.open_read(path) as handle:
            meta = pq.read_schema(handle).metadata
        parts.append((meta[b"ecot.episode_key"].decode(), path))
    return sorted(parts)


def _copy_part(
    part: pq.ParquetFile,
    target: Path,
    episode_index: int,
    task_index: int,
    first: int,
    stats: dict[str, _Stats],
) -> int:
    """Write one episode part as a LeRobot data file, FRAMES_PER_GROUP frames at a time, numbering
    its frames from `first`; returns its frame count."""
    schema = part.schema_arrow.remove_metadata()
    done = 0
    with pq.ParquetWriter(target, schema) as writer:
        for batch in part.iter_batches(batch_size=FRAMES_PER_GROUP):
            table = pa.Table.from_batches([batch]).replace_schema_metadata(None)
            k = table.num_rows
            for name, values in (
                ("episode_index", [episode_index] * k),
                ("index", range(first + done, first + done + k)),
                ("task_index", [task_index] * k),
            ):
                table = table.set_column(
                    table.schema.get_field_index(name), name, pa.array(values, pa.int64())
                )
            writer.write_table(table)
            for name, stat in stats.items():
                stat.add(np.asarray(table.column(name).to_pylist(), dtype=np.float32))
            done += k
    return done


def _info_bits(part: pq.ParquetFile, meta: dict[str, str]) -> tuple:
    """(schema, camera, width, height, fps, (state dim, action dim)) for info.json, from one part."""
    schema = part.schema_arrow.remove_metadata()
    camera = next(c for c in schema.names if c.startswith("observation.images."))
    first = next(part.iter_batches(batch_size=1, columns=["observation.state", "action"]))
    dims = (len(first.column(0)[0]), len(first.column(1)[0]))
    return (
        schema,
        camera,
        int(meta["ecot.width"]),
        int(meta["ecot.height"]),
        float(meta["ecot.fps"]),
        dims,
    )


def finish_lerobot(staging: str) -> Path | None:
    """Lay the episode parts out as `staging/lerobot/` (v3.0), one data file per episode; validate it."""
    root = Path(staging) / "lerobot"
    parts = _parts(staging)
    if not parts:
        return None
    tasks: dict[str, int] = {}
    stats = {"observation.state": _Stats(), "action": _Stats()}
    rows, total, info_bits = [], 0, None
    for episode_index, (key, path) in enumerate(parts):
        where = chunk_file(episode_index)
        target = root / DATA_PATH.format(**where)
        target.parent.mkdir(parents=True, exist_ok=True)
        with fs.open_read(path) as handle:
            part = pq.ParquetFile(handle)
            meta = {k.decode(): v.decode() for k, v in part.schema_arrow.metadata.items()}
            task_index = tasks.setdefault(meta["ecot.task"], len(tasks))
            n = _copy_part(part, target, episode_index, task_index, total, stats)
            if info_bits is None:
                info_bits = _info_bits(part, meta)
        rows.append(
            {
                "episode_index": episode_index,
                "tasks": [meta["ecot.task"]],
                "length": n,
                "data/chunk_index": where["chunk_index"],
                "data/file_index": where["file_index"],
                "dataset_from_index": total,
                "dataset_to_index": total + n,
                "meta/episodes/chunk_index": 0,
                "meta/episodes/file_index": 0,
                "ecot.episode_key": key,
            }
        )
        total += n
    schema, camera, width, height, fps, dims = info_bits
    episodes_path = root / EPISODES.format(chunk_index=0, file_index=0)
    episodes_path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), episodes_path)
    pq.write_table(tasks_table(list(tasks)), root / TASKS)
    (root / STATS).write_text(json.dumps({k: v.as_dict() for k, v in stats.items()}, indent=2))
    info = {
        "codebase_version": CODEBASE_VERSION,
        "robot_type": None,
        "total_episodes": len(parts),
        "total_frames": total,
        "total_tasks": len(tasks),
        "chunks_size": CHUNKS_SIZE,
        "data_files_size_in_mb": 100,
        "video_files_size_in_mb": 200,
        "fps": fps,
        "splits": {"train": f"0:{len(parts)}"},
        "data_path": DATA_PATH,
        "video_path": None,
        "features": _features(schema, camera, width, height, *dims),
    }
    (root / INFO).write_text(json.dumps(info, indent=2))
    fs.delete_matching(f"{staging}/{PARTS}/*")
    validate(root)
    return root
