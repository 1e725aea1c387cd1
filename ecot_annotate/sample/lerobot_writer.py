"""Write recorded episodes as a LeRobot v3.0 dataset: one data file, one MP4 per camera, metadata.

The layout is lerobot 0.6's: `data/chunk-000/file-000.parquet` holds every frame's row,
`videos/CAMERA/chunk-000/file-000.mp4` every frame (H.264, or AV1 as lerobot records by default,
encoded with PyAV, a keyframe every 2 frames as lerobot's encoder settings have it),
`meta/episodes/chunk-000/file-000.parquet` each episode's rows and video span per camera, `meta/tasks.parquet`
and `meta/info.json`, and `meta/stats.json` the min/max/mean/std lerobot computes. Extra per-frame
text columns (a generated sample's ground truth) go into the data file and are declared in
info.json as strings, so a reader finds them by name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate.episode import decode_image
from ecot_annotate.frames import Frame
from ecot_annotate.layouts.lerobot import tasks_table

STATE = "observation.state"
ACTION = "action"
CHUNK = "chunk-000/file-000"


@dataclass
class RecordedEpisode:
    """One episode to write: per step the state, the action, the camera frame (encoded image
    bytes) and extra text columns; the task is the episode's instruction. A dataset with more
    cameras has their frames in `other_frames`, in the order of `DatasetSpec.other_cameras`."""

    task: str
    state: np.ndarray  # (T, S)
    action: np.ndarray  # (T, S)
    frames: Sequence[Frame]  # encoded bytes or pixels, per step
    text: dict[str, list[str]] = field(default_factory=dict)
    other_frames: tuple[Sequence[Frame], ...] = ()

    def views(self) -> tuple[Sequence[Frame], ...]:
        """Every camera's frames, in `DatasetSpec.cameras` order."""
        return (self.frames, *self.other_frames)

    @property
    def length(self) -> int:
        return len(self.state)


@dataclass(frozen=True)
class DatasetSpec:
    """What info.json says of the robot: its type, the value names, the rate and the cameras."""

    robot_type: str
    names: tuple[str, ...]
    fps: int
    camera: str = "observation.images.front"
    codec: str = "h264"  # or "av1"
    other_cameras: tuple[str, ...] = ()

    @property
    def cameras(self) -> tuple[str, ...]:
        return (self.camera, *self.other_cameras)


# info.json's codec name -> (PyAV encoder, its options): lerobot's own settings (GOP 2, CRF 30 for
# AV1); H.264 at CRF 18 keeps the sample's frames close to their source
ENCODERS = {
    "h264": ("libx264", {"crf": "18", "g": "2"}),
    "av1": ("libsvtav1", {"crf": "30", "g": "2", "preset": "10"}),
}


def _encode(
    path: Path, episodes: list[Sequence[Frame]], fps: int, codec: str = "h264"
) -> tuple[int, int]:
    """Every episode's frames of one camera, in order, into one MP4 of `codec`; returns
    (height, width)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = decode_image(episodes[0][0]).shape[:2]
    encoder, options = ENCODERS[codec]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(encoder, rate=fps, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        pts = 0
        for frames in episodes:
            for image in frames:
                frame = av.VideoFrame.from_ndarray(decode_image(image), format="rgb24")
                frame.pts = pts
                pts += 1
                container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return height, width


def _stats(values: np.ndarray) -> dict[str, list[float]]:
    return {
        "min": values.min(0).tolist(),
        "max": values.max(0).tolist(),
        "mean": values.mean(0).tolist(),
        "std": values.std(0).tolist(),
        "count": [len(values)],
    }


def _info(spec: DatasetSpec, episodes, tasks, shapes, text_columns) -> dict:
    scalar = {"shape": [1], "names": None}
    width = len(spec.names)
    vector = {"dtype": "float32", "shape": [width], "names": list(spec.names)}

    def video(shape: tuple[int, int]) -> dict:
        return {
            "dtype": "video",
            "shape": [shape[0], shape[1], 3],
            "names": ["height", "width", "channels"],
            "info": {
                "video.height": shape[0],
                "video.width": shape[1],
                "video.codec": spec.codec,
                "video.pix_fmt": "yuv420p",
                "video.fps": spec.fps,
                "video.channels": 3,
                "has_audio": False,
                "is_depth_map": False,
            },
        }

    return {
        "codebase_version": "v3.0",
        "robot_type": spec.robot_type,
        "total_episodes": len(episodes),
        "total_frames": sum(e.length for e in episodes),
        "total_tasks": len(tasks),
        "chunks_size": 1000,
        "data_files_size_in_mb": 100,
        "video_files_size_in_mb": 500,
        "fps": spec.fps,
        "splits": {"train": f"0:{len(episodes)}"},
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4",
        "features": {
            **{camera: video(shapes[camera]) for camera in spec.cameras},
            STATE: vector,
            ACTION: dict(vector),
            "timestamp": {"dtype": "float32", **scalar},
            "frame_index": {"dtype": "int64", **scalar},
            "episode_index": {"dtype": "int64", **scalar},
            "index": {"dtype": "int64", **scalar},
            "task_index": {"dtype": "int64", **scalar},
            **{name: {"dtype": "string", **scalar} for name in text_columns},
        },
    }


def write_lerobot_dataset(root: str | Path, spec: DatasetSpec, episodes: list[RecordedEpisode]):
    """Write `episodes` under `root` (created) as a LeRobot v3.0 dataset; returns its path."""
    root = Path(root)
    tasks = list(dict.fromkeys(e.task for e in episodes))
    text_columns = list(dict.fromkeys(name for e in episodes for name in e.text))
    columns: dict[str, list] = {
        STATE: [],
        ACTION: [],
        "timestamp": [],
        "frame_index": [],
        "episode_index": [],
        "index": [],
        "task_index": [],
        **{name: [] for name in text_columns},
    }
    meta, start = [], 0
    for e, episode in enumerate(episodes):
        n = episode.length
        columns[STATE].extend(episode.state.astype(np.float32).tolist())
        columns[ACTION].extend(episode.action.astype(np.float32).tolist())
        columns["timestamp"].extend((np.arange(n) / spec.fps).tolist())
        columns["frame_index"].extend(range(n))
        columns["episode_index"].extend([e] * n)
        columns["index"].extend(range(start, start + n))
        columns["task_index"].extend([tasks.index(episode.task)] * n)
        for name in text_columns:
            columns[name].extend(episode.text[name])
        spans = {
            f"videos/{camera}/{key}": value
            for camera in spec.cameras
            for key, value in (
                ("chunk_index", 0),
                ("file_index", 0),
                ("from_timestamp", start / spec.fps),
                ("to_timestamp", (start + n) / spec.fps),
            )
        }
        meta.append(
            {
                "episode_index": e,
                "tasks": [episode.task],
                "length": n,
                "data/chunk_index": 0,
                "data/file_index": 0,
                "dataset_from_index": start,
                "dataset_to_index": start + n,
                **spans,
                "meta/episodes/chunk_index": 0,
                "meta/episodes/file_index": 0,
            }
        )
        start += n
    vector = pa.list_(pa.float32())
    schema = pa.schema(
        [
            (STATE, vector),
            (ACTION, vector),
            ("timestamp", pa.float32()),
            *((name, pa.int64()) for name in ("frame_index", "episode_index", "index")),
            ("task_index", pa.int64()),
            *((name, pa.string()) for name in text_columns),
        ]
    )
    for folder in ("data/chunk-000", "meta/episodes/chunk-000"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=schema), root / "data" / f"{CHUNK}.parquet")
    pq.write_table(pa.Table.from_pylist(meta), root / "meta" / "episodes" / f"{CHUNK}.parquet")
    pq.write_table(tasks_table(tasks), root / "meta" / "tasks.parquet")
    shapes = {
        camera: _encode(
            root / "videos" / camera / f"{CHUNK}.mp4",
            [e.views()[c] for e in episodes],
            spec.fps,
            spec.codec,
        )
        for c, camera in enumerate(spec.cameras)
    }
    info = _info(spec, episodes, tasks, shapes, text_columns)
    (root / "meta" / "info.json").write_text(json.dumps(info, indent=2))
    states = np.concatenate([e.state for e in episodes]).astype(np.float64)
    actions = np.concatenate([e.action for e in episodes]).astype(np.float64)
    stats = {STATE: _stats(states), ACTION: _stats(actions)}
    (root / "meta" / "stats.json").write_text(json.dumps(stats, indent=2))
    return root
