"""LeRobot's metadata as people really write it: info.json, the episode index, the task table.

lerobot reads datasets written by many versions of itself and by hand, so its readers tolerate
path templates spelled with either placeholder name, tasks kept only in the episode index, and
an episode index shorter than `total_episodes`. These functions accept the same, and turn what
cannot be read into one line naming the file (InputError) or, for one episode, an Unreadable.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate.errors import InputError
from ecot_annotate.layouts.lerobot import read_tasks
from ecot_annotate.sources.base import Unreadable

TEMPLATE_FIELDS = ("episode_chunk", "chunk_index", "file_index", "episode_index", "video_key")


@dataclass(frozen=True)
class LeRobotEpisodeRef:
    """Where one episode's rows and frames are, and the tasks its index entry lists."""

    index: int
    length: int
    data_path: str
    videos: dict[str, tuple[str, float, float]] = field(
        default_factory=dict
    )  # camera -> (mp4, from_s, to_s)
    tasks: tuple[str, ...] = ()


def read_info(root: Path) -> dict[str, Any]:
    """meta/info.json, checked for what every reader needs; InputError naming the file otherwise."""
    path = root / "meta" / "info.json"
    try:
        info = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(info, dict):
        raise InputError(f"{path} holds a {type(info).__name__}, not a JSON object")
    features = info.get("features")
    if not isinstance(features, dict) or not all(isinstance(v, dict) for v in features.values()):
        kind = type(features).__name__ if features is not None else "nothing"
        raise InputError(f"{path}: 'features' must map each feature name to its spec, got {kind}")
    for name, spec in features.items():
        shape = spec.get("shape", [])
        if not isinstance(shape, list) or not all(isinstance(d, int) for d in shape):
            raise InputError(
                f"{path}: feature '{name}' has shape {shape!r}, not a list of integers"
            )
    if "data_path" not in info:
        raise InputError(f"{path}: 'data_path' is missing")
    for key in ("total_episodes", "chunks_size"):
        value = info.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InputError(f"{path}: '{key}' is {value!r}, not a whole number")
    if not isinstance(info["data_path"], str):
        raise InputError(f"{path}: 'data_path' is {info['data_path']!r}, not a path template")
    return info


def fill_template(template: str, values: dict[str, Any], origin: str) -> str:
    """A data/video path template filled by the placeholders it names, whichever spelling."""
    if not isinstance(template, str):
        raise InputError(f"{origin}: path template {template!r} is not text")
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    except ValueError as exc:
        raise InputError(f"{origin}: path template '{template}' is malformed: {exc}") from None
    unknown = sorted(set(names) - set(values))
    if unknown:
        raise InputError(
            f"{origin}: path template '{template}' names {unknown}; known placeholders: "
            f"{', '.join(TEMPLATE_FIELDS)}"
        )
    return template.format(**{name: values[name] for name in names})


def split_range(info: dict, split: str, root: Path) -> range:
    """The episode indices of `split`; without `splits`, all `total_episodes`."""
    splits = info.get("splits") or {"train": f"0:{info.get('total_episodes') or 0}"}
    if not isinstance(splits, dict):
        raise InputError(f"{root / 'meta' / 'info.json'}: 'splits' is {splits!r}, not a mapping")
    if split not in splits:
        raise InputError(f"{root} has no split '{split}'; splits: {sorted(splits)}")
    try:
        start, stop = (int(x) for x in str(splits[split]).split(":"))
    except ValueError:
        raise InputError(
            f"{root / 'meta' / 'info.json'}: split '{split}' is {splits[split]!r}, not 'start:stop'"
        ) from None
    return range(start, stop)


def video_keys(info: dict) -> list[str]:
    return [k for k, v in info["features"].items() if v.get("dtype") == "video"]


def _chunk_values(row: dict, index: int, chunks_size: int, prefix: str) -> dict[str, int]:
    """Chunk and file numbers of one episode's file: from its index entry (v3.0), else its number."""
    chunk = row.get(f"{prefix}/chunk_index", index // chunks_size)
    file = row.get(f"{prefix}/file_index", index)
    return {
        "chunk_index": chunk,
        "episode_chunk": chunk,
        "file_index": file,
        "episode_index": index,
    }


def _ref(root: Path, info: dict, row: dict, origin: str) -> LeRobotEpisodeRef:
    index, length = int(row["episode_index"]), int(row["length"])
    chunks_size = int(info.get("chunks_size") or 1000)
    data = fill_template(
        info["data_path"], _chunk_values(row, index, chunks_size, "data"), f"{origin}"
    )
    videos = {}
    for key in video_keys(info):
        if "video_path" not in info:
            raise InputError(f"{origin}: '{key}' is a video but 'video_path' is missing")
        values = {**_chunk_values(row, index, chunks_size, f"videos/{key}"), "video_key": key}
        start = float(row.get(f"videos/{key}/from_timestamp", 0.0))
        stop = float(row.get(f"videos/{key}/to_timestamp", start + length / float(info["fps"])))
        videos[key] = (str(root / fill_template(info["video_path"], values, origin)), start, stop)
    tasks = row.get("tasks") or ()
    tasks = (tasks,) if isinstance(tasks, str) else tuple(str(t) for t in tasks)
    return LeRobotEpisodeRef(index, length, str(root / data), videos, tasks)


def _index_rows(root: Path, version: str) -> tuple[list[dict], str]:
    """(rows of the episode index, the file it was read from) for v3.0 or v2.x."""
    if version.startswith("v3"):
        files = sorted((root / "meta" / "episodes").glob("*/*.parquet"))
        if not files:
            raise InputError(f"{root}: no meta/episodes/*/*.parquet (LeRobot v3.0 layout)")
        rows = []
        for path in files:
            try:
                names = pq.read_schema(path).names
                columns = [c for c in names if not c.startswith("stats/")]
                rows += pq.read_table(path, columns=columns).to_pylist()
            except (OSError, pa.ArrowException) as exc:
                raise InputError(f"{path}: cannot be read as Parquet: {exc}") from None
        return rows, str(root / "meta" / "episodes")
    path = root / "meta" / "episodes.jsonl"
    if not path.is_file():
        raise InputError(f"{root}: no meta/episodes.jsonl (LeRobot v2.1 layout)")
    rows = []
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path} line {n} is not valid JSON: {exc}") from None
    return rows, str(path)


def episode_refs(
    root: Path, info: dict, version: str, wanted: range, key_prefix: str
) -> list[LeRobotEpisodeRef | Unreadable]:
    """One reference per episode of `wanted`, in order; an episode that info.json declares but
    the episode index does not list is an Unreadable saying so, so none goes uncounted."""
    rows, origin = _index_rows(root, version)
    found: dict[int, LeRobotEpisodeRef] = {}
    for row in rows:
        if not isinstance(row, dict) or "episode_index" not in row or "length" not in row:
            raise InputError(f"{origin}: an entry lacks 'episode_index' or 'length': {row!r}"[:300])
        if int(row["episode_index"]) in wanted:
            found.setdefault(int(row["episode_index"]), _ref(root, info, row, origin))
    total = info.get("total_episodes")
    declared = range(wanted.start, wanted.stop if total is None else min(wanted.stop, total))
    refs: list[LeRobotEpisodeRef | Unreadable] = []
    for index in sorted(set(declared) | set(found)):
        if index in found:
            refs.append(found[index])
        else:
            reason = (
                f"episode {index} is declared by meta/info.json (total_episodes "
                f"{info.get('total_episodes')}) but {origin} does not list it"
            )
            refs.append(Unreadable(f"{key_prefix}/{index}", reason))
    return refs


def read_task_table(root: Path, version: str, refs: list) -> dict[int, str]:
    """task_index -> task. Without the table (deleted, or never written) the episode index's own
    task lists stand in, as lerobot's do; with neither, InputError naming the missing file."""
    path = root / "meta" / ("tasks.parquet" if version.startswith("v3") else "tasks.jsonl")
    if path.is_file():
        try:
            if version.startswith("v3"):
                return read_tasks(path)
            lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            return {int(row["task_index"]): str(row["task"]) for row in lines}
        except (OSError, pa.ArrowException, KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}: cannot read the task table: {exc}") from None
    if any(getattr(ref, "tasks", ()) for ref in refs):
        return {}
    raise InputError(f"{path} is missing and the episode index lists no tasks")
