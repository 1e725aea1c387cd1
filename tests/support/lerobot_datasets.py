"""LeRobot datasets on disk (v3.0 or v2.1) built from decoded episodes, frames in real MP4s."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate.episode import decode_image
from ecot_annotate.layouts.lerobot import tasks_table

FPS = 10
CAMERA = "observation.images.image_0"
SCHEMA = pa.schema(
    [
        ("observation.state", pa.list_(pa.float32())),
        ("action", pa.list_(pa.float32())),
        ("timestamp", pa.float32()),
        ("frame_index", pa.int64()),
        ("episode_index", pa.int64()),
        ("index", pa.int64()),
        ("task_index", pa.int64()),
    ]
)


def _video(path: Path, frames: list[bytes], first_pts: int, container=None):
    """Append frames to an MP4 (opened here when `container` is None); returns the container."""
    import av

    if container is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        container = av.open(str(path), "w")
        stream = container.add_stream("libx264", rate=FPS, options={"crf": "18"})
        height, width = decode_image(frames[0]).shape[:2]
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream = container.streams.video[0]
    for i, image in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(decode_image(image), format="rgb24")
        frame.pts = first_pts + i
        container.mux(stream.encode(frame))
    return container


def _close(container) -> None:
    container.mux(container.streams.video[0].encode(None))
    container.close()


def _info(version: str, episodes, tasks, frames: int, names, shape, robot_type: str) -> dict:
    scalar = {"shape": [1], "names": None}
    v3 = version.startswith("v3")
    return {
        "codebase_version": version,
        "robot_type": robot_type,
        "total_episodes": len(episodes),
        "total_frames": frames,
        "total_tasks": len(tasks),
        "chunks_size": 1000,
        "fps": FPS,
        "splits": {"train": f"0:{len(episodes)}"},
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
        if v3
        else "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet",
        "video_path": "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
        if v3
        else "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4",
        "features": {
            CAMERA: {"dtype": "video", "shape": shape, "names": ["height", "width", "channels"]},
            "observation.state": {
                "dtype": "float32",
                "shape": [episodes[0].state.shape[1]],
                "names": names,
            },
            "action": {"dtype": "float32", "shape": [episodes[0].action.shape[1]], "names": None},
            "timestamp": {"dtype": "float32", **scalar},
            "frame_index": {"dtype": "int64", **scalar},
            "episode_index": {"dtype": "int64", **scalar},
            "index": {"dtype": "int64", **scalar},
            "task_index": {"dtype": "int64", **scalar},
        },
    }


def write_lerobot(
    root: Path, episodes, version: str = "v3.0", state_names=None, robot_type: str = "widowx"
) -> Path:
    """Episodes as LeRobot writes them: v3.0 keeps one data file and one MP4 for all episodes,
    v2.1 one of each per episode with JSONL metadata. `state_names` fills info.json's names;
    meta/stats.json holds the state's min and max, as lerobot computes them."""
    tasks = sorted({ep.instruction for ep in episodes})
    v3 = version.startswith("v3")
    rows_by_episode, meta, index, container = [], [], 0, None
    for e, ep in enumerate(episodes):
        start = index
        rows = [
            {
                "observation.state": ep.state[t].tolist(),
                "action": ep.action[t].tolist(),
                "timestamp": t / FPS,
                "frame_index": t,
                "episode_index": e,
                "index": index + t,
                "task_index": tasks.index(ep.instruction),
            }
            for t in range(ep.n_steps)
        ]
        index += ep.n_steps
        rows_by_episode.append(rows)
        if v3:
            path = root / "videos" / CAMERA / "chunk-000" / "file-000.mp4"
            container = _video(path, ep.images, start, container)
            meta.append(
                {
                    "episode_index": e,
                    "tasks": [ep.instruction],
                    "length": ep.n_steps,
                    "data/chunk_index": 0,
                    "data/file_index": 0,
                    "dataset_from_index": start,
                    "dataset_to_index": index,
                    f"videos/{CAMERA}/chunk_index": 0,
                    f"videos/{CAMERA}/file_index": 0,
                    f"videos/{CAMERA}/from_timestamp": start / FPS,
                    f"videos/{CAMERA}/to_timestamp": index / FPS,
                    "meta/episodes/chunk_index": 0,
                    "meta/episodes/file_index": 0,
                }
            )
        else:
            path = root / "videos" / "chunk-000" / CAMERA / f"episode_{e:06d}.mp4"
            _close(_video(path, ep.images, 0))
            meta.append({"episode_index": e, "tasks": [ep.instruction], "length": ep.n_steps})
    (root / "meta").mkdir(parents=True, exist_ok=True)
    (root / "data" / "chunk-000").mkdir(parents=True, exist_ok=True)
    if v3:
        _close(container)
        rows = [row for episode in rows_by_episode for row in episode]
        pq.write_table(pa.Table.from_pylist(rows, SCHEMA), root / "data/chunk-000/file-000.parquet")
        (root / "meta" / "episodes" / "chunk-000").mkdir(parents=True)
        pq.write_table(
            pa.Table.from_pylist(meta), root / "meta/episodes/chunk-000/file-000.parquet"
        )
        pq.write_table(tasks_table(tasks), root / "meta" / "tasks.parquet")
    else:
        for e, rows in enumerate(rows_by_episode):
            table = pa.Table.from_pylist(rows, SCHEMA)
            pq.write_table(table, root / "data" / "chunk-000" / f"episode_{e:06d}.parquet")
        lines = [json.dumps(m) for m in meta]
        (root / "meta" / "episodes.jsonl").write_text("\n".join(lines) + "\n")
        tasks_lines = [json.dumps({"task_index": i, "task": t}) for i, t in enumerate(tasks)]
        (root / "meta" / "tasks.jsonl").write_text("\n".join(tasks_lines) + "\n")
    height, width = decode_image(episodes[0].images[0]).shape[:2]
    info = _info(version, episodes, tasks, index, state_names, [height, width, 3], robot_type)
    (root / "meta" / "info.json").write_text(json.dumps(info, indent=2))
    states = np.concatenate([ep.state for ep in episodes])
    stats = {"observation.state": {"min": states.min(0).tolist(), "max": states.max(0).tolist()}}
    (root / "meta" / "stats.json").write_text(json.dumps(stats))
    return root


STATE_NAMES = ["x", "y", "z", "roll", "pitch", "yaw", "gripper"]  # the sample's state, by name
SO101 = Path(__file__).resolve().parents[3] / "shared" / "data" / "lerobot_so101"


def edit_info(root: Path, edit) -> dict:
    """Apply `edit(info)` to meta/info.json in place (a quirk or damage a test adds)."""
    path = root / "meta" / "info.json"
    info = json.loads(path.read_text())
    edit(info)
    path.write_text(json.dumps(info, indent=2))
    return info


def edit_parquet(path: Path, edit) -> None:
    """Replace a Parquet file by `edit(table)`."""
    pq.write_table(edit(pq.read_table(path)), path)
