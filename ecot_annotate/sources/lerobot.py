# Long file: the v2.1 and v3.0 readers share key resolution and video decoding.
"""LeRobot source: episodes of a LeRobot dataset folder (v3.0, or v2.1), frames from its MP4 videos.

Frame rows come from Parquet through pyarrow; camera frames are decoded from the videos with PyAV
(or read from Parquet when the camera is stored as images) and kept as PNG bytes, so stages see
the same Episode as from RLDS. Profile keys written RLDS-style (`observation/image_0`,
`observation/state`) are looked up under LeRobot's names (`observation.images.image_0`,
`observation.state`). The episode key is `dataset/split/episode_index`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow.parquet as pq

from ecot_annotate.episode import Episode
from ecot_annotate.errors import EpisodeError, InputError
from ecot_annotate.layouts.lerobot import read_tasks
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.profiles.kinematics import episode_track
from ecot_annotate.profiles.layout import DatasetLayout
from ecot_annotate.sources.base import SOURCES, DatasetFolder
from ecot_annotate.sources.lerobot_profile import (
    check_lerobot_profile,
    dataset_layout,
    resolved_profile,
)
from ecot_annotate.sources.values import frame_bytes, image_sizes, robot_vectors, text_of
from ecot_annotate.sources.video import decode_video, require_video_decoder


@dataclass(frozen=True)
class LeRobotEpisodeRef:
    """Where one episode's rows and frames are."""

    index: int
    length: int
    data_path: str
    videos: dict[str, tuple[str, float, float]] = field(
        default_factory=dict
    )  # camera -> (mp4, from_s, to_s)


@SOURCES.register("lerobot")
@dataclass
class LeRobotFolder(DatasetFolder):
    """A LeRobot dataset folder opened for one split. As a source, its episodes fan out one by one."""

    title: ClassVar[str] = "a LeRobot dataset"
    marker: ClassVar[str] = "meta/info.json"
    copies_records: ClassVar[bool] = False

    version: str
    fps: float
    features: dict
    tasks: dict[int, str]
    episodes: list[LeRobotEpisodeRef]
    features_json: None = None  # no RLDS features: augmented RLDS needs an RLDS input
    robot_type: str | None = None  # info.json's robot_type: which arm, for its kinematic model

    @classmethod
    def open(cls, root: str, split: str = "train") -> LeRobotFolder:
        """Open a LeRobot dataset folder (the one holding meta/info.json) or raise a clear InputError."""
        path = Path(root)
        info_path = path / "meta" / "info.json"
        if not info_path.is_file():
            raise InputError(f"{root} is not a LeRobot dataset folder: it needs meta/info.json")
        info = json.loads(info_path.read_text())
        version = str(info.get("codebase_version", ""))
        wanted = _split_range(info, split, path)
        if version.startswith("v3"):
            episodes = _v3_episodes(path, info, wanted)
            tasks = read_tasks(path / "meta" / "tasks.parquet")
        elif version.startswith("v2"):
            episodes = _v2_episodes(path, info, wanted)
            lines = (path / "meta" / "tasks.jsonl").read_text().splitlines()
            tasks = {
                row["task_index"]: row["task"]
                for row in (json.loads(line) for line in lines if line.strip())
            }
        else:
            raise InputError(
                f"{root}: LeRobot codebase_version '{version}' is not supported (v2.1 and v3.0 are)"
            )
        if any(v.get("dtype") == "video" for v in info["features"].values()):
            require_video_decoder()
        return cls(
            str(path),
            path.name,
            split,
            version,
            float(info["fps"]),
            info["features"],
            tasks,
            episodes,
            robot_type=info.get("robot_type") or None,
        )

    @property
    def num_episodes(self) -> int:
        return len(self.episodes)

    def layout(self) -> DatasetLayout:
        return dataset_layout(self)

    def check(self, profile: DatasetProfile) -> None:
        check_lerobot_profile(self, profile)

    def units(self, limit: int | None) -> list[LeRobotEpisodeRef]:
        return self.episodes if limit is None else self.episodes[:limit]

    def refs(self, unit: LeRobotEpisodeRef, limit: int | None) -> Iterator[LeRobotEpisodeRef]:
        yield unit

    def reader(self, profile: DatasetProfile) -> LeRobotReader:
        return LeRobotReader(self, profile)


def _split_range(info: dict, split: str, root: Path) -> range:
    splits = info.get("splits") or {"train": f"0:{info['total_episodes']}"}
    if split not in splits:
        raise InputError(f"{root} has no split '{split}'; splits: {sorted(splits)}")
    start, stop = (int(x) for x in str(splits[split]).split(":"))
    return range(start, stop)


def _v3_episodes(root: Path, info: dict, wanted: range) -> list[LeRobotEpisodeRef]:
    files = sorted((root / "meta" / "episodes").glob("*/*.parquet"))
    if not files:
        raise InputError(f"{root}: no meta/episodes/*/*.parquet (LeRobot v3.0 layout)")
    videos = [k for k, v in info["features"].items() if v.get("dtype") == "video"]
    refs = []
    for path in files:
        columns = [c for c in pq.read_schema(path).names if not c.startswith("stats/")]
        for row in pq.read_table(path, columns=columns).to_pylist():
            if row["episode_index"] not in wanted:
                continue
            data = info["data_path"].format(
                chunk_index=row["data/chunk_index"], file_index=row["data/file_index"]
            )
            video_refs = {}
            for key in videos:
                mp4 = info["video_path"].format(
                    video_key=key,
                    chunk_index=row[f"videos/{key}/chunk_index"],
                    file_index=row[f"videos/{key}/file_index"],
                )
                video_refs[key] = (
                    str(root / mp4),
                    float(row[f"videos/{key}/from_timestamp"]),
                    float(row[f"videos/{key}/to_timestamp"]),
                )
            refs.append(
                LeRobotEpisodeRef(row["episode_index"], row["length"], str(root / data), video_refs)
            )
    return sorted(refs, key=lambda r: r.index)


def _v2_episodes(root: Path, info: dict, wanted: range) -> list[LeRobotEpisodeRef]:
    lines = (root / "meta" / "episodes.jsonl").read_text().splitlines()
    videos = [k for k, v in info["features"].items() if v.get("dtype") == "video"]
    refs = []
    for row in (json.loads(line) for line in lines if line.strip()):
        index = row["episode_index"]
        if index not in wanted:
            continue
        chunk = index // info.get("chunks_size", 1000)
        data = info["data_path"].format(episode_chunk=chunk, episode_index=index)
        video_refs = {
            key: (
                str(
                    root
                    / info["video_path"].format(
                        episode_chunk=chunk, video_key=key, episode_index=index
                    )
                ),
                0.0,
                row["length"] / info["fps"],
            )
            for key in videos
        }
        refs.append(LeRobotEpisodeRef(index, row["length"], str(root / data), video_refs))
    return sorted(refs, key=lambda r: r.index)


class LeRobotDecoder:
    """Read one LeRobot episode into an Episode (built once per worker)."""

    def __init__(self, folder: LeRobotFolder, profile: DatasetProfile):
        self.folder, self.profile = folder, profile

    def key(self, ref: LeRobotEpisodeRef) -> str:
        return f"{self.folder.name}/{self.folder.split}/{ref.index}"

    def decode(self, ref: LeRobotEpisodeRef) -> Episode:
        """Raise EpisodeError for anything wrong with this one episode."""
        f, key = self.folder, self.key(ref)
        p = resolved_profile(f, self.profile)
        try:
            table = pq.read_table(
                ref.data_path, filters=[("episode_index", "=", ref.index)]
            ).sort_by("frame_index")
        except (OSError, ValueError) as exc:
            raise EpisodeError(
                "decode", f"episode {key}: cannot read {ref.data_path}: {exc}"
            ) from exc
        if table.num_rows == 0:
            raise EpisodeError("decode", f"episode {key} has no rows in {ref.data_path}")
        columns = {k: table.column(k).to_pylist() for k in {*p.state_keys, *p.action_keys}}
        rows = [{k: v[i] for k, v in columns.items()} for i in range(table.num_rows)]
        state, action = robot_vectors(rows, p, key)
        track = episode_track(p, state, action, key)
        images = self._images(ref, table, p.image_key, key)
        if len(images) != table.num_rows:
            raise EpisodeError(
                "decode", f"episode {key}: {len(images)} video frames for {table.num_rows} rows"
            )
        task_index = (
            int(table.column("task_index")[0].as_py()) if "task_index" in table.column_names else 0
        )
        n = table.num_rows
        return Episode(
            key=key,
            dataset=f.name,
            instruction=text_of(f.tasks.get(task_index, "")),
            images=images,
            image_size=image_sizes(images, p.image_key),
            state=state,
            action=action,
            **track.episode_fields(),
            is_first=np.arange(n) == 0,
            is_last=np.arange(n) == n - 1,
            is_terminal=np.arange(n) == n - 1,
            metadata={"episode_index": ref.index, "fps": f.fps, "lerobot_version": f.version},
        )

    def _images(self, ref: LeRobotEpisodeRef, table, image_key: str, key: str) -> list[bytes]:
        if image_key in ref.videos:
            path, start, stop = ref.videos[image_key]
            try:
                return [
                    frame_bytes(frame) for frame in decode_video(path, start, stop, self.folder.fps)
                ]
            except Exception as exc:  # noqa: BLE001 - a broken video is this episode's fault
                raise EpisodeError(
                    "decode", f"episode {key}: cannot decode {path}: {type(exc).__name__}: {exc}"
                ) from exc
        images = []
        for cell in table.column(image_key).to_pylist():
            if not isinstance(cell, dict) or not cell.get("bytes"):
                raise EpisodeError(
                    "decode", f"episode {key}: {image_key} holds no embedded image bytes"
                )
            images.append(cell["bytes"])
        return images


class LeRobotReader:
    def __init__(self, folder: LeRobotFolder, profile: DatasetProfile):
        self.decoder = LeRobotDecoder(folder, profile)

    def where(self, ref: LeRobotEpisodeRef) -> tuple[str, str]:
        return self.decoder.key(ref), ref.data_path

    def identity(self, ref: LeRobotEpisodeRef) -> tuple[tuple, tuple]:
        return ("key", self.decoder.key(ref)), (ref.index,)

    def read(self, ref: LeRobotEpisodeRef) -> Episode:
        return self.decoder.decode(ref)

    def close(self) -> None:
        return None
