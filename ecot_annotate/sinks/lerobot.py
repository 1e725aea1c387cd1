"""LeRobot output: the annotated episodes as a LeRobot v3.0 dataset, reasoning in its language columns.

ECoT fields go where LeRobot's tools look for language (ECOT_FORMAT.md section 4): plan, subtask
and motion primitives as persistent rows (each with the time it starts), the gripper track as a
`trace` event and the boxes as a `vqa` question/answer event on every frame (the answer in
lerobot's box shape, `{"detections": [{"label", "bbox_format": "xyxy", "bbox"}]}`), both tagged
with the camera. The full chain of each frame is kept in an `ecot.chain` column. Where the input
is a LeRobot dataset with videos, its video files are copied untouched after the run
(`lerobot_finish`) and no frame is stored here; otherwise frames are embedded as images (the
stored JPEG/PNG bytes), so the dataset stands alone.

Workers write one Parquet part per episode, a few frames at a time, with the episode's statistics
as lerobot computes them (`lerobot_stats`) in the part's metadata: state, action, timestamp,
frame_index and an embedded camera (from its sampled frames). `finish_lerobot` then numbers episodes
in key order and lays out data/, meta/ and info.json, reading each part a few frames at a time
(memory grows neither with the number of episodes nor with their length).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate import fs
from ecot_annotate.episode import AnnotatedEpisode, Episode, decode_image
from ecot_annotate.errors import EpisodeError
from ecot_annotate.file_names import episode_file_stem
from ecot_annotate.frames import encoded
from ecot_annotate.layouts.lerobot import event_row_type, image_type, persistent_row_type
from ecot_annotate.sinks.lerobot_input import DEFAULT_FPS
from ecot_annotate.sinks.lerobot_stats import (
    Stats,
    image_stats,
    sample_indices,
    to_json,
    vector_stats,
)
from ecot_annotate.text.chain import clean_text, gripper_window, step_chain

PARTS = "lerobot_parts"
FRAMES_PER_GROUP = 64  # frames built and written at a time (one Parquet row group)
VQA_QUESTION = "Which objects are visible, and where? Answer with pixel boxes [x0, y0, x1, y1]."


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
        answer = {
            "detections": [
                {
                    "label": clean_text(b.label),
                    "bbox_format": "xyxy",
                    "bbox": [round(float(v), 1) for v in b.box],
                    "score": round(float(b.score), 4),
                    "track": b.track,
                }
                for b in ann.bboxes[t]
            ]
        }
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


def _broadcast(rows: pa.Array, frames: int) -> pa.ListArray:
    """The same list of rows on each of `frames` frames, built by Arrow (no Python row per frame)."""
    offsets = pa.array(np.arange(frames + 1, dtype=np.int32) * len(rows), pa.int32())
    values = rows.take(pa.array(np.tile(np.arange(len(rows)), frames)))
    return pa.ListArray.from_arrays(offsets, values)


def episode_stats(episode: Episode, camera: str | None, embed_images: bool) -> dict[str, Stats]:
    """The statistics lerobot's writer keeps of the columns a part holds, from the values it
    stores: float32 state and action, timestamps as frame_index / fps (lerobot's own, before
    they are stored as float32), and the embedded camera's sampled frames."""
    fps = float(episode.metadata.get("fps", DEFAULT_FPS))
    n = episode.n_steps
    stats = {
        "observation.state": vector_stats(np.asarray(episode.state, np.float32)),
        "action": vector_stats(np.asarray(episode.action, np.float32)),
        "timestamp": vector_stats(np.arange(n) / fps),
        "frame_index": vector_stats(np.arange(n, dtype=np.int64)),
    }
    if camera is not None and embed_images and episode.images:
        frames = (decode_image(episode.images[t]) for t in sample_indices(n))
        stats[camera] = image_stats(frames)
    return stats


def episode_tables(
    annotated: AnnotatedEpisode, camera: str | None, embed_images: bool
) -> Iterator[pa.Table]:
    """The frames of one episode in LeRobot's columns, FRAMES_PER_GROUP frames at a time, so the
    memory a part needs does not grow with the episode; episode/task indices are set by
    `finish_lerobot`. `camera`: the primary camera's LeRobot key (None: no camera), whose frames
    are embedded when `embed_images` (no video of the input to copy)."""
    ep, ann = annotated.episode, annotated.annotation
    fps = float(ep.metadata.get("fps", DEFAULT_FPS))
    n = ep.n_steps
    times = (np.arange(n) / fps).astype(np.float32)
    reasoning = [r.as_dict() for r in ann.reasoning]
    persistent = pa.array(
        _persistent("plan", [clean_text(r["plan"]) for r in reasoning], times)
        + _persistent("subtask", [clean_text(r["subtask"]) for r in reasoning], times)
        + _persistent("motion", [clean_text(p) for p in ann.moves], times),
        persistent_row_type(),
    )
    meta = {
        "episode_key": ep.key,
        "task": clean_text(ep.instruction),
        "fps": str(fps),
        "width": str(ep.image_size[0]),
        "height": str(ep.image_size[1]),
        "stats": json.dumps(to_json(episode_stats(ep, camera, embed_images))),
    }
    if "episode_index" in ep.metadata:  # a LeRobot input: where its videos hold this episode
        meta["source_episode"] = str(ep.metadata["episode_index"])
    for start in range(0, n, FRAMES_PER_GROUP):
        frames = range(start, min(start + FRAMES_PER_GROUP, n))
        k = len(frames)
        columns = {}
        if camera is not None and embed_images:
            columns[camera] = pa.array(
                [{"bytes": encoded(ep.images[t]), "path": None} for t in frames], image_type()
            )
        columns |= {
            "observation.state": pa.array(
                ep.state[start : start + k].tolist(), pa.list_(pa.float32())
            ),
            "action": pa.array(ep.action[start : start + k].tolist(), pa.list_(pa.float32())),
            "timestamp": pa.array(times[start : start + k], pa.float32()),
            "frame_index": pa.array(frames, pa.int64()),
            "episode_index": pa.array([0] * k, pa.int64()),
            "index": pa.array(frames, pa.int64()),
            "task_index": pa.array([0] * k, pa.int64()),
            "language_persistent": _broadcast(persistent, k),
            "language_events": pa.array(
                [_events(annotated, t, camera) for t in frames], pa.list_(event_row_type())
            ),
            "ecot.chain": pa.array([step_chain(annotated, t) for t in frames], pa.string()),
        }
        yield pa.table(columns).replace_schema_metadata({f"ecot.{k}": v for k, v in meta.items()})


def write_episode_part(
    annotated: AnnotatedEpisode, folder: str, camera: str | None, embed_images: bool
) -> None:
    path = f"{folder}/{episode_file_stem(annotated.episode.key)}.parquet"
    try:
        with fs.create(path) as handle:
            writer = None
            for table in episode_tables(annotated, camera, embed_images):
                writer = writer or pq.ParquetWriter(handle, table.schema)
                writer.write_table(table)
            if writer is not None:
                writer.close()
    except (ValueError, pa.ArrowException) as exc:
        raise EpisodeError("write-lerobot", f"{type(exc).__name__}: {exc}") from exc
