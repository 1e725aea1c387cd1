"""LeRobot metadata that disagrees with the files it describes, read as the files are.

Published datasets carry an info.json kept from another version over converted files, an `fps`
of 0, or a state declared narrower than the data holds. Each is read as the files are and said in
one line (a `Decision` the profile block prints, with what to fix), never silently and never as a
traceback.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate.errors import InputError
from ecot_annotate.layouts.lerobot import DATA_PATH, VIDEO_PATH
from ecot_annotate.profiles.decision import Decision
from ecot_annotate.sources.lerobot_meta import LeRobotEpisodeRef

# lerobot's v2.1 path templates, for v2.1 files under an info.json that says otherwise.
V21_DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
V21_VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"


def _files_version(root: Path) -> str | None:
    """The layout the episode index is stored in: v3.0 (meta/episodes/*/*.parquet), v2.x
    (meta/episodes.jsonl), or None where neither or both are there."""
    v3 = any((root / "meta" / "episodes").glob("*/*.parquet"))
    v2 = (root / "meta" / "episodes.jsonl").is_file()
    return "v3.0" if v3 and not v2 else "v2.1" if v2 and not v3 else None


def layout_version(root: Path, info: dict) -> tuple[dict, str, tuple[Decision, ...]]:
    """(info, the version its files are laid out in, what was decided). An info.json that says
    one version over the other's files (a v2.1 info.json kept over files converted to v3.0) is
    read as the files are, with the path templates of that version, and said in one line."""
    declared = str(info.get("codebase_version", ""))
    found = _files_version(root)
    if found is None or declared[:2] == found[:2] or not declared.startswith(("v2", "v3")):
        return info, declared, ()
    v3 = found.startswith("v3")
    data, video = (DATA_PATH, VIDEO_PATH) if v3 else (V21_DATA_PATH, V21_VIDEO_PATH)
    index = "meta/episodes/*/*.parquet" if v3 else "meta/episodes.jsonl"
    fixed = {**info, "data_path": data, "video_path": video}
    decision = Decision(
        "layout",
        f"meta/info.json says {declared} but the files are laid out as {found} ({index}): read "
        f"as {found}, with its paths {data} and {video}",
        "set codebase_version, data_path and video_path in meta/info.json to match the files",
    )
    return fixed, found, (decision,)


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _rate_of(path: Path) -> float | None:
    """Frames per second from one data file's timestamps (the median step of its first episode)."""
    try:
        names = pq.read_schema(path).names
        if "timestamp" not in names:
            return None
        columns = ["timestamp", *(["episode_index"] if "episode_index" in names else [])]
        table = pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException):
        return None
    stamps = np.asarray(table.column("timestamp").to_pylist(), dtype=float)
    if "episode_index" in columns:
        episodes = np.asarray(table.column("episode_index").to_pylist())
        stamps = stamps[episodes == episodes[0]] if len(episodes) else stamps
    steps = np.diff(np.sort(stamps))
    steps = steps[steps > 0]
    if not len(steps):
        return None
    rate = 1.0 / float(np.median(steps))
    return float(round(rate)) if abs(rate - round(rate)) < 0.01 * rate else round(rate, 3)


def frame_rate(root: Path, info: dict) -> tuple[dict, tuple[Decision, ...]]:
    """(info with a usable `fps`, what was decided). An `fps` that is missing, 0, negative or not
    a number is read from the data's timestamps, and said; with no timestamps either, one line
    naming the field."""
    if _positive(info.get("fps")) is not None:
        return {**info, "fps": float(info["fps"])}, ()
    given = f"gives {info['fps']!r}" if "fps" in info else "gives no 'fps'"
    for path in sorted((root / "data").rglob("*.parquet")):
        rate = _rate_of(path)
        if rate is not None:
            decision = Decision(
                "fps",
                f"meta/info.json {given}: {rate:g} frames per second from the timestamps of "
                f"{path.relative_to(root)}",
                "set fps in meta/info.json",
            )
            return {**info, "fps": rate}, (decision,)
    raise InputError(
        f"{root / 'meta' / 'info.json'} {given} for 'fps', and no data file holds timestamps to "
        "tell the frame rate; set fps (frames per second) in meta/info.json"
    )


def _stored_width(path: str, key: str) -> int | None:
    """Values per frame of the vector column `key` as one data file stores it."""
    try:
        kind = pq.read_schema(path).field(key).type
        if pa.types.is_fixed_size_list(kind):
            return kind.list_size
        if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
            return None
        first = pq.ParquetFile(path).read_row_group(0, columns=[key]).column(0)
    except (OSError, KeyError, pa.ArrowException):
        return None  # an unreadable file is its episodes' matter
    value = first[0].as_py() if len(first) else None
    return len(value) if isinstance(value, list) else None


def as_the_files_are(root: Path, info: dict) -> tuple[dict, str, tuple[Decision, ...]]:
    """(info, the version its files are laid out in, what was decided): `layout_version`, then
    `frame_rate`."""
    info, version, layout = layout_version(root, info)
    info, rate = frame_rate(root, info)
    return info, version, (*layout, *rate)


def stored_widths(features: dict, episodes: list) -> tuple[dict, tuple[Decision, ...]]:
    """(features as the episodes' data files store them, what was decided). A vector the data
    holds wider or narrower than info.json declares is read as stored, its declared names dropped
    (they name other values than those held), and said in one line; a LeRobot output then
    declares the stored width, unnamed, rather than the declared names over other values."""
    paths = sorted({r.data_path for r in episodes if isinstance(r, LeRobotEpisodeRef)})
    if not paths:
        return features, ()
    fixed, said = dict(features), []
    for key, spec in features.items():
        shape = spec.get("shape") or []
        if spec.get("dtype") in ("video", "image", "string") or len(shape) != 1:
            continue
        stored = _stored_width(paths[0], key)
        if stored is None or stored == shape[0]:
            continue
        fixed[key] = {**spec, "shape": [stored], "names": None}
        said.append(
            Decision(
                key,
                f"meta/info.json declares {shape[0]} values, {paths[0].rsplit('/', 1)[-1]} holds "
                f"{stored}: read as the {stored} stored values, unnamed",
                "correct its shape and names in meta/info.json to have them used",
            )
        )
    return fixed, tuple(said)
