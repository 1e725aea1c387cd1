"""The LeRobot dataset layout (v3.0, and v2.1 for reading): paths, language columns, and a validator.

The `lerobot` package needs Python >= 3.12, so we read and write its layout with pyarrow and check
our output against the layout here: the same file names, info.json keys, column types and language
column schema (`language_persistent` / `language_events`) that LeRobot's dataset class reads.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ecot_annotate.errors import InputError

CODEBASE_VERSION = "v3.0"
CHUNKS_SIZE = 1000
INFO = "meta/info.json"
STATS = "meta/stats.json"
TASKS = "meta/tasks.parquet"
EPISODES = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
# Per-frame ground-truth text columns (a generated sample's): `ecot.truth.phase`, `ecot.truth.left.primitive`.
TRUTH_PREFIX = "ecot.truth"
INDEX_COLUMNS = ("timestamp", "frame_index", "episode_index", "index", "task_index")
PERSISTENT_STYLES = {"subtask", "plan", "memory", "motion", "task_aug"}
EVENT_STYLES = {"interjection", "vqa", "trace"}
VIEW_DEPENDENT_STYLES = {"vqa", "trace"}
LANGUAGE_COLUMNS = ("language_persistent", "language_events")
CHECK_FRAMES = (
    64  # frames the validator holds at a time (their persistent rows grow with the episode)
)


def persistent_row_type() -> pa.StructType:
    return pa.struct(
        [
            pa.field("role", pa.string(), nullable=False),
            pa.field("content", pa.string()),
            pa.field("style", pa.string()),
            pa.field("timestamp", pa.float32(), nullable=False),
            pa.field("camera", pa.string()),
            pa.field("tool_calls", pa.list_(pa.string())),
        ]
    )


def event_row_type() -> pa.StructType:
    return pa.struct(
        [
            pa.field("role", pa.string(), nullable=False),
            pa.field("content", pa.string()),
            pa.field("style", pa.string()),
            pa.field("camera", pa.string()),
            pa.field("tool_calls", pa.list_(pa.string())),
        ]
    )


def image_type() -> pa.StructType:
    """How LeRobot (through HF datasets' Image feature) stores an embedded image in Parquet."""
    return pa.struct([pa.field("bytes", pa.binary()), pa.field("path", pa.string())])


def chunk_file(index: int) -> dict[str, int]:
    return {"chunk_index": index // CHUNKS_SIZE, "file_index": index % CHUNKS_SIZE}


def tasks_table(tasks: list[str]) -> pa.Table:
    """meta/tasks.parquet as pandas writes it: task strings as the index, one `task_index` column."""
    pandas_meta = {
        "index_columns": ["task"],
        "column_indexes": [],
        "columns": [
            {
                "name": "task_index",
                "field_name": "task_index",
                "pandas_type": "int64",
                "numpy_type": "int64",
                "metadata": None,
            },
            {
                "name": "task",
                "field_name": "task",
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": None,
            },
        ],
        "creator": {"library": "pyarrow", "version": pa.__version__},
    }
    table = pa.table(
        {
            "task_index": pa.array(range(len(tasks)), pa.int64()),
            "task": pa.array(tasks, pa.string()),
        }
    )
    return table.replace_schema_metadata({b"pandas": json.dumps(pandas_meta).encode()})


def read_tasks(path: Path) -> dict[int, str]:
    table = pq.read_table(path)
    name = "task" if "task" in table.column_names else "__index_level_0__"
    return dict(
        zip(table.column("task_index").to_pylist(), table.column(name).to_pylist(), strict=True)
    )


def validate(root: Path) -> dict:
    """Check a v3.0 folder against the layout; return its info.json. Raises InputError on the first problem."""
    root = Path(root)
    info_path = root / INFO
    if not info_path.is_file():
        raise InputError(f"{root}: no {INFO}")
    info = json.loads(info_path.read_text())
    for key in (
        "codebase_version",
        "fps",
        "features",
        "total_episodes",
        "total_frames",
        "total_tasks",
        "data_path",
        "chunks_size",
    ):
        if key not in info:
            raise InputError(f"{info_path}: missing '{key}'")
    features = info["features"]
    for name in INDEX_COLUMNS:
        if name not in features:
            raise InputError(f"{info_path}: feature '{name}' is required")
    tasks = read_tasks(root / TASKS)
    if len(tasks) != info["total_tasks"]:
        raise InputError(
            f"{root / TASKS}: {len(tasks)} tasks, info.json says {info['total_tasks']}"
        )
    episodes = pa.concat_tables(
        [pq.read_table(p) for p in sorted((root / "meta/episodes").glob("*/*.parquet"))]
    )
    if episodes.num_rows != info["total_episodes"]:
        raise InputError(
            f"meta/episodes holds {episodes.num_rows} episodes, info.json says {info['total_episodes']}"
        )
    frames = 0
    for row in episodes.to_pylist():
        path = root / info["data_path"].format(
            chunk_index=row["data/chunk_index"], file_index=row["data/file_index"]
        )
        frames += _check_episode(path, row, features)
    if frames != info["total_frames"]:
        raise InputError(f"{root}: {frames} frames, info.json says {info['total_frames']}")
    return info


def _check_episode(path: Path, row: dict, features: dict) -> int:
    """Check one episode's frames in `path`, a row group at a time (frames never all in memory)."""
    data = pq.ParquetFile(path)
    stored = {k for k, v in features.items() if v.get("dtype") != "video"}  # videos: in videos/
    missing = sorted(stored - set(data.schema_arrow.names))
    if missing:
        raise InputError(f"{path}: columns declared in info.json are missing: {missing}")
    language = [c for c in LANGUAGE_COLUMNS if c in data.schema_arrow.names]
    found, expected = 0, row["dataset_from_index"]
    columns = ["episode_index", "index", *language]
    for batch in data.iter_batches(batch_size=CHECK_FRAMES, columns=columns):
        table = pa.Table.from_batches([batch])
        table = table.filter(pc.equal(table.column("episode_index"), row["episode_index"]))
        index = table.column("index").to_numpy()
        if not np.array_equal(index, np.arange(expected, expected + len(index))):
            raise InputError(
                f"{path}: episode {row['episode_index']} has non-contiguous `index` values"
            )
        _check_language(table, path)
        found, expected = found + table.num_rows, expected + table.num_rows
    if found != row["length"] or row["dataset_to_index"] - row["dataset_from_index"] != found:
        raise InputError(
            f"{path}: episode {row['episode_index']} has {found} frames, meta says {row['length']}"
        )
    return found


def _check_language(data: pa.Table, path: Path) -> None:
    for column, row_type, styles in (
        ("language_persistent", persistent_row_type(), PERSISTENT_STYLES),
        ("language_events", event_row_type(), EVENT_STYLES),
    ):
        if column not in data.column_names:
            continue
        if data.schema.field(column).type != pa.list_(row_type):
            raise InputError(
                f"{path}: column {column} has type {data.schema.field(column).type}, LeRobot reads {pa.list_(row_type)}"
            )
        rows = pc.list_flatten(data.column(column))
        found = set(pc.unique(pc.struct_field(rows, "style")).to_pylist())
        if found - styles:
            raise InputError(
                f"{path}: style '{sorted(found - styles)[0]}' does not belong in {column}"
            )
        view = pc.is_in(pc.struct_field(rows, "style"), pa.array(sorted(VIEW_DEPENDENT_STYLES)))
        camera = pc.fill_null(pc.not_equal(pc.struct_field(rows, "camera"), ""), False)
        broken = pc.filter(rows, pc.not_equal(view, camera)).to_pylist()
        if broken:
            raise InputError(
                f"{path}: style '{broken[0]['style']}' with camera={broken[0]['camera']!r} breaks LeRobot's camera rule"
            )
