# Long file: LeRobot's column layout, per-episode parts and the final layout must change together.
"""LeRobot output: the annotated episodes as a LeRobot v3.0 dataset, reasoning in its language columns.

ECoT fields go where LeRobot's tools look for language (ECOT_FORMAT.md section 4): plan, subtask
and motion primitives as persistent rows (each with the time it starts), the gripper track as a
`trace` event and the boxes as a `vqa` question/answer event on every frame, both tagged with the
camera. The full chain of each frame is kept in an `ecot.chain` column. Frames are embedded as
images (the stored JPEG/PNG bytes), so the dataset stands alone.

Workers write one Parquet part per episode; `finish_lerobot` then numbers episodes in key order
and lays out data/, meta/ and info.json, reading one part at a time (memory does not grow with
the number of episodes).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate import fs
from ecot_annotate.episode import AnnotatedEpisode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.layouts.lerobot import (
    CHUNKS_SIZE,
    CODEBASE_VERSION,
    DATA_PATH,
    EPISODES,
    INFO,
    STATS,
    TASKS,
    chunk_file,
    event_row_type,
    image_type,
    persistent_row_type,
    tasks_table,
    validate,
)
from ecot_annotate.store.names import episode_file_stem
from ecot_annotate.text.chain import clean_text, gripper_window, step_chain

PARTS = "lerobot_parts"
DEFAULT_FPS = 5.0  # Bridge's control rate; RLDS records carry no frame rate
VQA_QUESTION = "Which objects are visible, and where? Answer with pixel boxes [x0, y0, x1, y1]."


def camera_key(image_key: str) -> str:
    """`observation/image_0` or `observation.images.image_0` -> `observation.images.image_0`."""
    return f"observation.images.{image_key.replace('/', '.').rsplit('.', 1)[-1]}"


def _persistent(style: str, values: list[str], times: np.ndarray) -> list[dict]:
    """One row each time the value changes, stamped with the time it starts."""
    rows = []
    for t, value in enumerate(values):
        if t == 0 or value != values[t - 1]:
            rows.append(
                {
                    "role": "assistant",
                    "content": value,
                    "style": style,
                    "timestamp": float(times[t]),
                    "camera": None,
                    "tool_calls": None,
                }
            )
    return rows


def _events(annotated: AnnotatedEpisode, t: int, camera: str) -> list[dict]:
    ann = annotated.annotation
    rows = []
    if ann.bboxes is not None:
        answer = [
            {
                "label": clean_text(b.label),
                "box": [round(float(v), 1) for v in b.box],
                "score": round(float(b.score), 4),
            }
            for b in ann.bboxes[t]
        ]
        rows.append(
            {
                "role": "user",
                "content": VQA_QUESTION,
                "style": "vqa",
                "camera": camera,
                "tool_calls": None,
            }
        )
        rows.append(
            {
                "role": "assistant",
                "content": json.dumps(answer),
                "style": "vqa",
                "camera": camera,
                "tool_calls": None,
            }
        )
    if ann.gripper is not None:
        content = json.dumps(
            {
                "points": gripper_window(ann.gripper, t),
                "image_size": list(annotated.episode.image_size),
            }
        )
        rows.append(
            {
                "role": "assistant",
                "content": content,
                "style": "trace",
                "camera": camera,
                "tool_calls": None,
            }
        )
    return rows


def episode_table(annotated: AnnotatedEpisode, image_key: str) -> pa.Table:
    """The frames of one episode in LeRobot's columns; episode/task indices are set by `finish_lerobot`."""
    ep, ann = annotated.episode, annotated.annotation
    fps = float(ep.metadata.get("fps", DEFAULT_FPS))
    n, camera = ep.n_steps, camera_key(image_key)
    times = (np.arange(n) / fps).astype(np.float32)
    reasoning = [r.as_dict() for r in ann.reasoning]
    persistent = (
        _persistent("plan", [clean_text(r["plan"]) for r in reasoning], times)
        + _persistent("subtask", [clean_text(r["subtask"]) for r in reasoning], times)
        + _persistent("motion", [clean_text(p) for p in ann.primitives], times)
    )
    columns = {
        camera: pa.array([{"bytes": img, "path": None} for img in ep.images], image_type()),
        "observation.state": pa.array(ep.state.tolist(), pa.list_(pa.float32())),
        "action": pa.array(ep.action.tolist(), pa.list_(pa.float32())),
        "timestamp": pa.array(times, pa.float32()),
        "frame_index": pa.array(range(n), pa.int64()),
        "episode_index": pa.array([0] * n, pa.int64()),
        "index": pa.array(range(n), pa.int64()),
        "task_index": pa.array([0] * n, pa.int64()),
        "language_persistent": pa.array([persistent] * n, pa.list_(persistent_row_type())),
        "language_events": pa.array(
            [_events(annotated, t, camera) for t in range(n)], pa.list_(event_row_type())
        ),
        "ecot.chain": pa.array([step_chain(annotated, t) for t in range(n)], pa.string()),
    }
    meta = {
        "episode_key": ep.key,
        "task": clean_text(ep.instruction),
        "fps": str(fps),
        "width": str(ep.image_size[0]),
        "height": str(ep.image_size[1]),
    }
    return pa.table(columns).replace_schema_metadata({f"ecot.{k}": v for k, v in meta.items()})


def write_episode_part(annotated: AnnotatedEpisode, folder: str, image_key: str) -> None:
    key = annotated.episode.key
    try:
        table = episode_table(annotated, image_key)
    except (ValueError, pa.ArrowException) as exc:
        raise EpisodeError("write-lerobot", f"{type(exc).__name__}: {exc}") from exc
    name = f"{episode_file_stem(key)}.parquet"
    with fs.create(f"{folder}/{name}") as handle:
        pq.write_table(table, handle)


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
        with fs.open_read(path) as handle:
            table = pq.read_table(handle)
        meta = {k.decode(): v.decode() for k, v in table.schema.metadata.items()}
        task_index = tasks.setdefault(meta["ecot.task"], len(tasks))
        n = table.num_rows
        table = table.set_column(
            table.schema.get_field_index("episode_index"),
            "episode_index",
            pa.array([episode_index] * n, pa.int64()),
        )
        table = table.set_column(
            table.schema.get_field_index("index"),
            "index",
            pa.array(range(total, total + n), pa.int64()),
        )
        table = table.set_column(
            table.schema.get_field_index("task_index"),
            "task_index",
            pa.array([task_index] * n, pa.int64()),
        )
        table = table.replace_schema_metadata(None)
        where = chunk_file(episode_index)
        target = root / DATA_PATH.format(**where)
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target)
        for name, stat in stats.items():
            stat.add(np.asarray(table.column(name).to_pylist(), dtype=np.float32))
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
        if info_bits is None:
            camera = next(c for c in table.column_names if c.startswith("observation.images."))
            info_bits = (
                table.schema,
                camera,
                int(meta["ecot.width"]),
                int(meta["ecot.height"]),
                float(meta["ecot.fps"]),
            )
            dims = (len(table.column("observation.state")[0]), len(table.column("action")[0]))
    schema, camera, width, height, fps = info_bits
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
