"""The camera of one LeRobot episode, read only as far as the run needs it.

A camera stored as video gives each row the frame whose time is within lerobot's tolerance of the
row's timestamp, found from the file's packets (a video may hold more frames than the episode has
rows); the episode then carries a reference into the video (file and times), and its frames are
decoded only where a step looks at them (`video.VideoFrames`), never re-encoded. A camera stored as
images in the Parquet gives their bytes as stored. A run that reads no frame (motion calibration,
`--dry-run`, outputs that keep no image) opens no video: the size is the one info.json declares.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ecot_annotate.counting import Count
from ecot_annotate.errors import EpisodeError
from ecot_annotate.frames import Frame, FrameRequest, VideoRef
from ecot_annotate.sources.lerobot_meta import LeRobotEpisodeRef
from ecot_annotate.sources.values import image_sizes
from ecot_annotate.sources.video import (
    TOLERANCE_S,
    VideoFrames,
    frame_times,
    match_rows,
)


@dataclass(frozen=True)
class Camera:
    images: list[Frame | None] | VideoFrames  # [] where no frame is read
    size: tuple[int, int]  # (width, height); (0, 0) with no camera
    video: VideoRef | None = None


NO_CAMERA = Camera([], (0, 0))


def row_times(table: pa.Table, fps: float) -> np.ndarray:
    """Each row's time in its episode: `timestamp`, else `frame_index` / fps, else row / fps."""
    if "timestamp" in table.column_names:
        return np.asarray(table.column("timestamp").to_numpy(zero_copy_only=False), dtype=float)
    if "frame_index" in table.column_names:
        return np.asarray(table.column("frame_index").to_numpy(zero_copy_only=False)) / fps
    return np.arange(table.num_rows) / fps


def _video_info(features: dict, camera: str) -> dict:
    spec = features.get(camera, {})
    meta = spec.get("info") or spec.get("video_info") or {}
    return meta if isinstance(meta, dict) else {}


def declared_size(features: dict, camera: str) -> tuple[int, int]:
    """(width, height) as info.json declares the camera (its video info, else its shape), for a
    run that reads no frame and still says the picture's size."""
    info = _video_info(features, camera)
    if info.get("video.width") and info.get("video.height"):
        return (int(info["video.width"]), int(info["video.height"]))
    spec = features.get(camera, {})
    shape = [int(d) for d in spec.get("shape") or ()]
    if len(shape) != 3:
        return (0, 0)
    names = spec.get("names")
    channels_first = isinstance(names, list) and names[:1] in (["channels"], ["channel"], ["c"])
    height, width = shape[1:] if channels_first else shape[:2]
    return (width, height)


def video_camera(
    ref: LeRobotEpisodeRef,
    table: pa.Table,
    camera: str,
    key: str,
    features: dict,
    fps: float,
    frames: FrameRequest,
    count: Count,
) -> Camera:
    """The episode's frames in its video: a reference for every row, pixels where asked."""
    path, start, stop = ref.videos[camera]
    if not frames:
        return Camera([], declared_size(features, camera))
    if not os.path.exists(path):
        raise EpisodeError("decode", f"episode {key}: video file {path} is missing")
    span = frame_times(path, start, stop, _video_info(features, camera).get("video.codec"))
    wanted = start + row_times(table, fps)
    found, matched = match_rows(wanted, span)
    if not matched.all():
        row = int(np.flatnonzero(~matched)[0])
        nearest = "none" if np.isnan(found[row]) else f"{found[row]:.4f} s"
        raise EpisodeError(
            "decode",
            f"episode {key}: {int((~matched).sum())} of {len(wanted)} rows have no frame of {path} "
            f"within {TOLERANCE_S:g} s of their timestamp (first: row {row} at {wanted[row]:.4f} s, "
            f"nearest frame {nearest}); `--camera none` annotates it from state",
        )
    video = VideoRef(os.path.abspath(path), tuple(found.tolist()))
    images = VideoFrames(video, span, frames.pixels, count) if frames.pixels else []
    return Camera(images, span.size, video)


def embedded_camera(
    ref: LeRobotEpisodeRef, table: pa.Table, camera: str, key: str, frames: FrameRequest
) -> Camera:
    """The episode's frames stored as images in its Parquet: their bytes, as stored."""
    if camera not in table.column_names:
        raise EpisodeError("decode", f"episode {key}: {ref.data_path} has no '{camera}'")
    cells = table.column(camera).to_pylist() if frames else table.column(camera)[:1].to_pylist()
    images = []
    for cell in cells:
        if not isinstance(cell, dict) or not cell.get("bytes"):
            raise EpisodeError("decode", f"episode {key}: {camera} holds no embedded image bytes")
        images.append(cell["bytes"])
    size = image_sizes(images, camera)
    return Camera(images if frames else [], size)
