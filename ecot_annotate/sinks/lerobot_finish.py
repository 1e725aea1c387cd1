"""Lay the per-episode LeRobot parts out as a LeRobot v3.0 dataset: data/, meta/, info.json.

Episodes are numbered in key order. Each part is read and written a few frames at a time. The
statistics are lerobot's (`lerobot_stats`): each episode's, from its part (the worker computed
them), its numbering and, for a camera whose video is copied, the input's own entry for that
episode, go into `meta/episodes` as `stats/FEATURE/STAT` columns, and are joined into
`meta/stats.json` one episode at a time, as lerobot's writer joins them.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate import fs
from ecot_annotate.errors import EpisodeError
from ecot_annotate.layouts.lerobot import (
    CHUNKS_SIZE,
    CODEBASE_VERSION,
    DATA_PATH,
    EPISODES,
    INFO,
    STATS,
    TASKS,
    VIDEO_PATH,
    chunk_file,
    tasks_table,
    validate,
)
from ecot_annotate.sinks.lerobot import FRAMES_PER_GROUP, PARTS
from ecot_annotate.sinks.lerobot_input import LeRobotInput
from ecot_annotate.sinks.lerobot_stats import (
    Stats,
    aggregate,
    from_json,
    image_stats,
    sample_indices,
    to_json,
    vector_stats,
)
from ecot_annotate.sources.video import decode_at, frame_times

log = logging.getLogger(__name__)


def _vector(dim: int, names: list[str] | None) -> dict:
    return {"dtype": "float32", "shape": [dim], "names": names if names else None}


def _features(
    source: LeRobotInput, image: tuple[str, int, int] | None, dims: tuple[int, int]
) -> dict:
    """info.json's features: every camera the input ships as video, else the embedded one."""
    cameras = dict(source.videos)
    if image is not None:
        camera, width, height = image
        cameras[camera] = {
            "dtype": "image",
            "shape": [height, width, 3],
            "names": ["height", "width", "channels"],
        }
    return {
        **cameras,
        "observation.state": _vector(dims[0], source.state_names),
        "action": _vector(dims[1], source.action_names),
        "timestamp": {"dtype": "float32", "shape": [1], "names": None},
        "frame_index": {"dtype": "int64", "shape": [1], "names": None},
        "episode_index": {"dtype": "int64", "shape": [1], "names": None},
        "index": {"dtype": "int64", "shape": [1], "names": None},
        "task_index": {"dtype": "int64", "shape": [1], "names": None},
        "language_persistent": {"dtype": "language", "shape": [1], "names": None},
        "language_events": {"dtype": "language", "shape": [1], "names": None},
        "ecot.chain": {"dtype": "string", "shape": [1], "names": None},
    }


class _Videos:
    """The input's video files, copied untouched as this dataset's files: each distinct file of a
    camera becomes the next file of that camera here, and an episode keeps its span of it."""

    def __init__(self, root: Path, source: LeRobotInput):
        self.root, self.source = root, source
        self.copied: dict[tuple[str, str], dict[str, int]] = {}

    def columns(self, source_episode: int) -> dict:
        """meta/episodes columns of one input episode's videos, copying files on first use."""
        row = {}
        for camera, (path, start, stop) in self.source.spans.get(source_episode, {}).items():
            where = self.copied.get((camera, path))
            if where is None:
                where = chunk_file(sum(1 for c, _ in self.copied if c == camera))
                target = self.root / VIDEO_PATH.format(video_key=camera, **where)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                self.copied[(camera, path)] = where
            row |= {
                f"videos/{camera}/chunk_index": where["chunk_index"],
                f"videos/{camera}/file_index": where["file_index"],
                f"videos/{camera}/from_timestamp": start,
                f"videos/{camera}/to_timestamp": stop,
            }
        return row


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
            done += k
    return done


def _info_bits(part: pq.ParquetFile, meta: dict[str, str]) -> tuple:
    """(the embedded camera with its size or None, (state dim, action dim)), from one part."""
    names = part.schema_arrow.names
    camera = next((c for c in names if c.startswith("observation.images.")), None)
    image = (camera, int(meta["ecot.width"]), int(meta["ecot.height"])) if camera else None
    first = next(part.iter_batches(batch_size=1, columns=["observation.state", "action"]))
    return image, (len(first.column(0)[0]), len(first.column(1)[0]))


def _numbering_stats(n: int, episode_index: int, first: int, task_index: int) -> dict[str, Stats]:
    """Statistics of the columns `finish_lerobot` numbers, as lerobot's writer computes them."""
    return {
        "episode_index": vector_stats(np.full(n, episode_index, np.int64)),
        "index": vector_stats(np.arange(first, first + n, dtype=np.int64)),
        "task_index": vector_stats(np.full(n, task_index, np.int64)),
    }


def _video_stats(source: LeRobotInput, source_episode: int, n: int) -> dict[str, Stats]:
    """Each copied camera's statistics for one input episode: the input's own entry (lerobot
    computed it from the frames before encoding), else lerobot's computation over sampled frames
    of the video, for inputs without a complete entry (v2.0 kept none, v2.1 no quantiles)."""
    stats = {}
    for camera, (path, start, stop) in source.spans.get(source_episode, {}).items():
        entry = source.camera_stats.get(source_episode, {}).get(camera)
        if entry is not None:
            stats[camera] = entry
            continue
        try:
            span = frame_times(path, start, stop)
            count = min(len(span.times), n)
            picked = [span.times[t] for t in sample_indices(count)]
            frames = list(decode_at(path, picked, span))  # only the frames the sample takes
        except EpisodeError as exc:
            log.warning(
                "lerobot: no statistics of %s for input episode %d (stats.json joins the other "
                "episodes' only): %s",
                camera,
                source_episode,
                exc.reason,
            )
            continue
        if frames:
            stats[camera] = image_stats(frames)
    return stats


def _stats_columns(stats: dict[str, Stats]) -> dict[str, list]:
    """One episode's statistics as lerobot's `meta/episodes` columns `stats/FEATURE/STAT`: lists
    of float (nested (3, 1, 1) for a camera), `count` a list of int."""
    return {
        f"stats/{feature}/{key}": np.asarray(
            value, np.int64 if key == "count" else np.float64
        ).tolist()
        for feature, entry in stats.items()
        for key, value in entry.items()
    }


def finish_lerobot(staging: str, source: LeRobotInput) -> Path | None:
    """Lay the episode parts out as `staging/lerobot/` (v3.0), one data file per episode, with
    what it keeps of its input (`source`); validate it."""
    root = Path(staging) / "lerobot"
    parts = _parts(staging)
    if not parts:
        return None
    videos = _Videos(root, source)
    tasks: dict[str, int] = {}
    stats: dict[str, Stats] = {}
    rows, total, info_bits = [], 0, None
    for episode_index, (key, path) in enumerate(parts):
        where = chunk_file(episode_index)
        target = root / DATA_PATH.format(**where)
        target.parent.mkdir(parents=True, exist_ok=True)
        with fs.open_read(path) as handle:
            part = pq.ParquetFile(handle)
            meta = {k.decode(): v.decode() for k, v in part.schema_arrow.metadata.items()}
            task_index = tasks.setdefault(meta["ecot.task"], len(tasks))
            n = _copy_part(part, target, episode_index, task_index, total)
            if info_bits is None:
                info_bits = _info_bits(part, meta)
        episode = from_json(json.loads(meta["ecot.stats"]))
        episode |= _numbering_stats(n, episode_index, total, task_index)
        video = {}
        if "ecot.source_episode" in meta:
            video = videos.columns(int(meta["ecot.source_episode"]))
            episode |= _video_stats(source, int(meta["ecot.source_episode"]), n)
        stats = aggregate([stats, episode]) if stats else episode
        rows.append(
            {
                "episode_index": episode_index,
                "tasks": [meta["ecot.task"]],
                "length": n,
                "data/chunk_index": where["chunk_index"],
                "data/file_index": where["file_index"],
                "dataset_from_index": total,
                "dataset_to_index": total + n,
                **video,
                **_stats_columns(episode),
                "meta/episodes/chunk_index": 0,
                "meta/episodes/file_index": 0,
                "ecot.episode_key": key,
            }
        )
        total += n
    image, dims = info_bits
    episodes_path = root / EPISODES.format(chunk_index=0, file_index=0)
    episodes_path.parent.mkdir(parents=True, exist_ok=True)
    columns = dict.fromkeys(name for row in rows for name in row)  # an episode may lack a camera's
    pq.write_table(pa.table({c: [row.get(c) for row in rows] for c in columns}), episodes_path)
    pq.write_table(tasks_table(list(tasks)), root / TASKS)
    (root / STATS).write_text(json.dumps(to_json(stats), indent=2))
    info = {
        "codebase_version": CODEBASE_VERSION,
        "robot_type": source.robot_type,
        "total_episodes": len(parts),
        "total_frames": total,
        "total_tasks": len(tasks),
        "chunks_size": CHUNKS_SIZE,
        "data_files_size_in_mb": 100,
        "video_files_size_in_mb": 200,
        "fps": source.fps,
        "splits": {"train": f"0:{len(parts)}"},
        "data_path": DATA_PATH,
        "video_path": VIDEO_PATH if source.videos else None,
        "features": _features(source, image, dims),
    }
    (root / INFO).write_text(json.dumps(info, indent=2))
    fs.delete_matching(f"{staging}/{PARTS}/*")
    validate(root)
    return root
