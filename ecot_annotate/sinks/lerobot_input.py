"""What a LeRobot output keeps of its input, as lerobot's own tools carry it.

A copy that drops `robot_type`, the state and action `names`, a camera or the videos is another
dataset to LeRobot's users. From a LeRobot input we keep all of them: each camera whose video
files the input ships is declared as it was and its files are copied untouched (an episode keeps
its span of the file), so nothing is re-encoded and no frame is stored twice, and each episode keeps
the input's statistics of those cameras (lerobot computed them from the frames before encoding).
An RLDS input has none of these facts: its primary camera's frames are embedded as images.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate.profiles.model import DatasetProfile
from ecot_annotate.sinks.lerobot_stats import STAT_KEYS, Stats, from_json
from ecot_annotate.sources.lerobot import LeRobotFolder
from ecot_annotate.sources.lerobot_meta import LeRobotEpisodeRef
from ecot_annotate.sources.lerobot_profile import resolved_profile

DEFAULT_FPS = 5  # Bridge's control rate; RLDS records carry no frame rate


@dataclass(frozen=True)
class LeRobotInput:
    camera: str | None = None  # the primary camera's key in the output; None: no camera
    robot_type: str | None = None
    state_names: list[str] | None = None
    action_names: list[str] | None = None
    fps: int = DEFAULT_FPS
    videos: dict[str, dict] = field(default_factory=dict)  # camera -> its info.json feature
    # input episode index -> camera -> (mp4 path, from_s, to_s)
    spans: dict[int, dict[str, tuple[str, float, float]]] = field(default_factory=dict)
    # input episode index -> camera -> the input's statistics of it in that episode
    camera_stats: dict[int, dict[str, Stats]] = field(default_factory=dict)


def camera_key(image_key: str) -> str:
    """`observation/image_0` or `observation.images.image_0` -> `observation.images.image_0`."""
    return f"observation.images.{image_key.replace('/', '.').rsplit('.', 1)[-1]}"


def flat_names(names: Any) -> list[str] | None:
    """A feature's `names` as one list of strings, however the dataset wrapped them (a list, a
    list in a list, or lerobot's older `{"motors": [...]}`)."""
    if isinstance(names, dict) and len(names) == 1:
        names = next(iter(names.values()))
    if isinstance(names, list) and len(names) == 1 and isinstance(names[0], list):
        names = names[0]
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return names
    return None


def _names(dataset: LeRobotFolder, keys: tuple[str, ...]) -> list[str] | None:
    """The names of a vector made of `keys` concatenated, when every key names its values."""
    found = [flat_names(dataset.features.get(k, {}).get("names")) for k in keys]
    if not found or any(n is None for n in found):
        return None
    return [name for names in found for name in names]


def _stats_rows(root: Path, version: str) -> list[dict]:
    """Per-episode statistics as the input stores them: `{"episode_index", "stats"}` rows from
    meta/episodes' `stats/*` columns (v3.0) or meta/episodes_stats.jsonl (v2.1)."""
    if not version.startswith("v3"):
        path = root / "meta" / "episodes_stats.jsonl"
        lines = path.read_text().splitlines() if path.is_file() else []
        return [json.loads(line) for line in lines if line.strip()]
    rows = []
    for path in sorted((root / "meta" / "episodes").glob("*/*.parquet")):
        names = [n for n in pq.read_schema(path).names if n.startswith("stats/")]
        for row in pq.read_table(path, columns=["episode_index", *names]).to_pylist():
            stats: dict[str, dict] = {}
            for name in names:
                _, feature, key = name.split("/", 2)
                if row[name] is not None:
                    stats.setdefault(feature, {})[key] = row[name]
            rows.append({"episode_index": row["episode_index"], "stats": stats})
    return rows


def _camera_entry(entry: Any) -> Stats | None:
    """One camera's statistics as lerobot holds them (numbers, each (C, 1, 1), `count` (1,)), or
    None where the entry is not numbers or lacks one (v2.1 kept no quantiles): the output then
    computes them all from the video rather than mix two sources."""
    if not isinstance(entry, dict) or not set(STAT_KEYS) <= set(entry):
        return None
    try:
        stats = from_json({"camera": entry})["camera"]
    except (TypeError, ValueError):
        return None
    if any(v.dtype.kind not in "fiu" for v in stats.values()) or stats["count"].shape != (1,):
        return None
    return {k: v if k == "count" else v.reshape(-1, 1, 1) for k, v in stats.items()}


def _camera_stats(root: Path, version: str, cameras: set[str]) -> dict[int, dict[str, Stats]]:
    """The input's per-episode statistics of `cameras`, where it has a complete entry; an input
    whose statistics cannot be read has none (the output computes them from the video)."""
    try:
        rows = _stats_rows(root, version)
    except (OSError, ValueError, pa.ArrowException):  # JSONDecodeError is a ValueError
        return {}
    found: dict[int, dict[str, Stats]] = {}
    for row in rows:
        stats = row.get("stats") if isinstance(row, dict) else None
        if not isinstance(stats, dict) or not isinstance(row.get("episode_index"), int):
            continue
        for camera in cameras & set(stats):
            entry = _camera_entry(stats[camera])
            if entry is not None:
                found.setdefault(row["episode_index"], {})[camera] = entry
    return found


def lerobot_input(dataset: Any, profile: DatasetProfile) -> LeRobotInput:
    """The facts of `dataset` that a LeRobot output keeps (defaults for a non-LeRobot input)."""
    if not isinstance(dataset, LeRobotFolder):
        hz = profile.control_hz
        camera = camera_key(profile.image_key) if profile.image_key else None
        return LeRobotInput(camera=camera, fps=round(hz) if hz else DEFAULT_FPS)
    profile = resolved_profile(dataset, profile)
    refs = [r for r in dataset.episodes if isinstance(r, LeRobotEpisodeRef)]
    shipped = {
        camera: entry
        for camera, entry in dataset.features.items()
        if entry.get("dtype") == "video"
        and all(camera in r.videos and Path(r.videos[camera][0]).is_file() for r in refs)
    }
    return LeRobotInput(
        camera=profile.image_key,
        robot_type=dataset.robot_type,
        state_names=_names(dataset, profile.state_keys),
        action_names=_names(dataset, profile.action_keys),
        fps=round(dataset.fps),
        videos=shipped,
        spans={ref.index: {c: ref.videos[c] for c in shipped} for ref in refs},
        camera_stats=_camera_stats(Path(dataset.root), dataset.version, set(shipped)),
    )
