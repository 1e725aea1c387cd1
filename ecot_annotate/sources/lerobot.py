"""LeRobot source: episodes of a LeRobot dataset folder (v3.0, or v2.1), frames from its MP4 videos.

Frame rows come from Parquet through pyarrow; camera frames only as far as the run reads them
(`lerobot_frames`): from the videos by timestamp, decoded with PyAV where a step looks at them and
never re-encoded, or as the image bytes stored in the Parquet. Profile keys written RLDS-style (`observation/image_0`,
`observation/state`) are looked up under LeRobot's names (`observation.images.image_0`,
`observation.state`). The episode key is `dataset/split/episode_index`. A dataset whose cameras
ship no video file at all is still read, from its state alone (image key None).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate.counting import Count, no_count
from ecot_annotate.episode import Episode
from ecot_annotate.errors import EpisodeError, InputError
from ecot_annotate.frames import PIXELS, FrameRequest
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.profiles.decision import Decision
from ecot_annotate.profiles.kinematics import episode_arms
from ecot_annotate.profiles.layout import DatasetLayout
from ecot_annotate.sources.base import SOURCES, DatasetFolder, Unreadable
from ecot_annotate.sources.lerobot_frames import NO_CAMERA, Camera, embedded_camera, video_camera
from ecot_annotate.sources.lerobot_meta import (
    LeRobotEpisodeRef,
    episode_refs,
    read_info,
    read_task_table,
    split_range,
    video_keys,
)
from ecot_annotate.sources.lerobot_mismatch import as_the_files_are, stored_widths
from ecot_annotate.sources.lerobot_profile import (
    check_columns,
    check_lerobot_profile,
    dataset_layout,
    resolved_profile,
)
from ecot_annotate.sources.values import robot_vectors, text_of
from ecot_annotate.sources.video import require_video_decoder


@SOURCES.register("lerobot")
@dataclass
class LeRobotFolder(DatasetFolder):
    """A LeRobot dataset folder opened for one split. As a source, its episodes fan out one by one.

    `episodes` holds one entry per declared episode: a reference, or an Unreadable for an episode
    that info.json declares and the episode index does not list."""

    title: ClassVar[str] = "a LeRobot dataset"
    marker: ClassVar[str] = "meta/info.json"
    copies_records: ClassVar[bool] = False

    version: str
    fps: float
    features: dict
    tasks: dict[int, str]
    episodes: list[LeRobotEpisodeRef | Unreadable]
    unshipped: tuple[str, ...] = ()  # declared video cameras with no file at all
    features_json: None = None  # no RLDS features: augmented RLDS needs an RLDS input
    robot_type: str | None = None  # info.json's: which arm; a LeRobot output keeps it
    notes: tuple[Decision, ...] = ()  # metadata that disagrees with the files, read as the files

    @classmethod
    def open(cls, root: str, split: str = "train") -> LeRobotFolder:
        """Open a LeRobot dataset folder (the one holding meta/info.json) or raise a clear InputError."""
        path = Path(root)
        if not (path / "meta" / "info.json").is_file():
            raise InputError(f"{root} is not a LeRobot dataset folder: it needs meta/info.json")
        info, version, notes = as_the_files_are(path, read_info(path))
        if not version.startswith(("v2", "v3")):
            raise InputError(
                f"{root}: LeRobot codebase_version '{version}' is not supported (v2.1 and v3.0 are)"
            )
        wanted = split_range(info, split, path)
        episodes = episode_refs(path, info, version, wanted, f"{path.name}/{split}")
        tasks = read_task_table(path, version, episodes)
        features, widths = stored_widths(info["features"], episodes)
        unshipped = _unshipped(info, episodes)
        if len(unshipped) < len(video_keys(info)):
            require_video_decoder()
        return cls(
            str(path),
            path.name,
            split,
            version,
            float(info["fps"]),
            features,
            tasks,
            episodes,
            unshipped,
            robot_type=info["robot_type"] if isinstance(info.get("robot_type"), str) else None,
            notes=(*notes, *widths),
        )

    @property
    def num_episodes(self) -> int:
        return len(self.episodes)

    def layout(self) -> DatasetLayout:
        return dataset_layout(self)

    def check(self, profile: DatasetProfile) -> None:
        check_lerobot_profile(self, profile)
        paths = sorted({r.data_path for r in self.episodes if isinstance(r, LeRobotEpisodeRef)})
        check_columns(self, profile, paths)

    def units(self, limit: int | None) -> list[LeRobotEpisodeRef | Unreadable]:
        return self.episodes if limit is None else self.episodes[:limit]

    def refs(
        self, unit: LeRobotEpisodeRef | Unreadable, limit: int | None
    ) -> Iterator[LeRobotEpisodeRef | Unreadable]:
        yield unit

    def reader(
        self, profile: DatasetProfile, frames: FrameRequest = PIXELS, count: Count = no_count
    ) -> LeRobotReader:
        return LeRobotReader(self, profile, frames, count)

    def frames_in_video(self, profile: DatasetProfile) -> bool:
        camera = resolved_profile(self, profile).image_key
        return camera is not None and self.features.get(camera, {}).get("dtype") == "video"


def _unshipped(info: dict, episodes: list) -> tuple[str, ...]:
    """Video cameras of which not one episode's file exists (data pushed without its videos)."""
    refs = [r for r in episodes if isinstance(r, LeRobotEpisodeRef)]
    return tuple(
        key
        for key in video_keys(info)
        if not any(os.path.exists(p) for p in {r.videos[key][0] for r in refs})
    )


def _read_rows(ref: LeRobotEpisodeRef, key: str, skip: set[str]) -> pa.Table:
    """The episode's rows in frame order, without the `skip` columns (other cameras' images);
    EpisodeError naming the file when it cannot be read."""
    try:
        names = pq.read_schema(ref.data_path).names
        filters = [("episode_index", "=", ref.index)] if "episode_index" in names else None
        columns = [n for n in names if n not in skip]
        table = pq.read_table(ref.data_path, columns=columns, filters=filters)
        order = next((c for c in ("frame_index", "timestamp") if c in names), None)
        table = table.sort_by(order) if order else table
    except Exception as exc:  # noqa: BLE001 - any failure to read this file is its episodes' fault
        raise EpisodeError(
            "decode", f"episode {key}: cannot read {ref.data_path}: {type(exc).__name__}: {exc}"
        ) from exc
    if table.num_rows == 0:
        raise EpisodeError("decode", f"episode {key} has no rows in {ref.data_path}")
    if table.num_rows != ref.length:
        raise EpisodeError(
            "decode",
            f"episode {key}: {ref.data_path} holds {table.num_rows} rows, the episode index "
            f"says {ref.length}",
        )
    return table


def _numeric_column(table: pa.Table, name: str, ref: LeRobotEpisodeRef, key: str) -> list:
    """One state/action column as Python values; EpisodeError when it is missing or not numbers."""
    if name not in table.column_names:
        raise EpisodeError("decode", f"episode {key}: {ref.data_path} has no column '{name}'")
    kind = table.schema.field(name).type
    while (
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    ):
        kind = kind.value_type
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)):
        raise EpisodeError(
            "decode",
            f"episode {key}: '{name}' in {ref.data_path} is stored as {kind}, not numbers",
        )
    return table.column(name).to_pylist()


def _ground_truth(table: pa.Table, prefix: str | None) -> dict[str, np.ndarray] | None:
    """The columns under the profile's ground-truth prefix (`ecot.truth.phase` -> `phase`), as a
    generated sample stores its true phase and primitive per frame."""
    if not prefix:
        return None
    start = prefix + "."
    found = {
        name[len(start) :]: np.asarray(table.column(name).to_pylist())
        for name in table.column_names
        if name.startswith(start)
    }
    return found or None


class LeRobotDecoder:
    """Read one LeRobot episode into an Episode (built once per worker), with the frames asked."""

    def __init__(
        self,
        folder: LeRobotFolder,
        profile: DatasetProfile,
        frames: FrameRequest = PIXELS,
        count: Count = no_count,
    ):
        self.folder, self.profile, self.frames, self.count = folder, profile, frames, count

    def key(self, ref: LeRobotEpisodeRef) -> str:
        return f"{self.folder.name}/{self.folder.split}/{ref.index}"

    def decode(self, ref: LeRobotEpisodeRef) -> Episode:
        """Raise EpisodeError for anything wrong with this one episode."""
        f, key = self.folder, self.key(ref)
        p = resolved_profile(f, self.profile)
        images = {k for k, v in f.features.items() if v.get("dtype") == "image"}
        table = _read_rows(ref, key, images - {p.image_key})
        columns = {k: _numeric_column(table, k, ref, key) for k in {*p.state_keys, *p.action_keys}}
        rows = [{k: v[i] for k, v in columns.items()} for i in range(table.num_rows)]
        state, action = robot_vectors(rows, p, key)
        arms = episode_arms(p, state, action, key)
        camera = self._camera(ref, table, p.image_key, key)
        n = table.num_rows
        return Episode(
            key=key,
            dataset=f.name,
            instruction=text_of(self._task(ref, table)),
            images=camera.images,
            image_size=camera.size,
            state=state,
            action=action,
            arms=arms,
            is_first=np.arange(n) == 0,
            is_last=np.arange(n) == n - 1,
            is_terminal=np.arange(n) == n - 1,
            metadata={"episode_index": ref.index, "fps": f.fps, "lerobot_version": f.version},
            ground_truth=_ground_truth(table, p.ground_truth_key),
            video=camera.video,
        )

    def _camera(
        self, ref: LeRobotEpisodeRef, table: pa.Table, image_key: str | None, key: str
    ) -> Camera:
        if image_key is None:
            return NO_CAMERA
        f = self.folder
        if image_key in ref.videos:
            return video_camera(
                ref, table, image_key, key, f.features, f.fps, self.frames, self.count
            )
        return embedded_camera(ref, table, image_key, key, self.frames)

    def _task(self, ref: LeRobotEpisodeRef, table: pa.Table) -> str:
        """The task table's entry for the rows' task_index; else the episode's own task list, else
        the dataset's single task (a parquet written without task_index)."""
        tasks = self.folder.tasks
        if "task_index" in table.column_names and tasks:
            found = tasks.get(table.column("task_index")[0].as_py())
            if found is not None:
                return found
        if ref.tasks:
            return ref.tasks[0]
        return next(iter(tasks.values())) if len(tasks) == 1 else ""


class LeRobotReader:
    def __init__(
        self, folder: LeRobotFolder, profile: DatasetProfile, frames: FrameRequest, count: Count
    ):
        self.decoder = LeRobotDecoder(folder, profile, frames, count)

    def where(self, ref: LeRobotEpisodeRef) -> tuple[str, str]:
        return self.decoder.key(ref), ref.data_path

    def identity(self, ref: LeRobotEpisodeRef) -> tuple[tuple, tuple]:
        return ("key", self.decoder.key(ref)), (ref.index,)

    def read(self, ref: LeRobotEpisodeRef) -> Episode:
        return self.decoder.decode(ref)

    def close(self) -> None:
        return None
