# Long file: the v2.1 and v3.0 readers share key resolution and video decoding.
"""LeRobot source: episodes of a LeRobot dataset folder (v3.0, or v2.1), frames from its MP4 videos.

Frame rows come from Parquet through pyarrow; camera frames are decoded from the videos with PyAV
(or read from Parquet when the camera is stored as images) and kept as PNG bytes, so stages see
the same Episode as from RLDS. Profile keys written RLDS-style (`observation/image_0`,
`observation/state`) are looked up under LeRobot's names (`observation.images.image_0`,
`observation.state`). The episode key is `dataset/split/episode_index`.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from ecot_annotate.episode import Episode
from ecot_annotate.errors import EpisodeError, InputError, ProfileKeyError
from ecot_annotate.layouts.lerobot import read_tasks
from ecot_annotate.profiles import DatasetProfile


@dataclass(frozen=True)
class LeRobotEpisodeRef:
    """Where one episode's rows and frames are."""

    index: int
    length: int
    data_path: str
    videos: dict[str, tuple[str, float, float]] = field(
        default_factory=dict
    )  # camera -> (mp4, from_s, to_s)


@dataclass
class LeRobotFolder:
    root: str
    name: str
    split: str
    version: str
    fps: float
    features: dict
    tasks: dict[int, str]
    episodes: list[LeRobotEpisodeRef]
    features_json: None = None  # no RLDS features: augmented RLDS needs an RLDS input

    @property
    def num_episodes(self) -> int:
        return len(self.episodes)


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


def open_lerobot(root: str, split: str = "train") -> LeRobotFolder:
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
    return LeRobotFolder(
        str(path), path.name, split, version, float(info["fps"]), info["features"], tasks, episodes
    )


def require_video_decoder() -> None:
    try:
        import av  # noqa: F401
    except ImportError as exc:
        raise InputError(
            "this LeRobot dataset stores frames as MP4 videos; decoding them needs PyAV: pip install av (or ecot-annotate[lerobot])"
        ) from exc


def resolve_key(key: str, features: dict, image: bool = False) -> str:
    """A profile key as this dataset names it: as is, dotted, or under observation.images."""
    dotted = key.replace("/", ".")
    candidates = [key, dotted]
    if image:
        candidates.append(f"observation.images.{dotted.rsplit('.', 1)[-1]}")
    for candidate in candidates:
        if candidate in features:
            return candidate
    raise KeyError(key)


def check_lerobot_profile(folder: LeRobotFolder, profile: DatasetProfile) -> None:
    """Fail before any work when the profile names a key the dataset does not have."""
    for key, image in (
        (profile.image_key, True),
        (profile.state_key, False),
        (profile.action_key, False),
    ):
        try:
            resolve_key(key, folder.features, image)
        except KeyError:
            raise ProfileKeyError(key, profile.name, sorted(folder.features)) from None


def _png(frame: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_video(path: str, start: float, stop: float, fps: float) -> list[np.ndarray]:
    """RGB frames whose time lies in [start, stop) of one MP4 (a v3 file holds many episodes)."""
    import av

    half = 0.5 / fps
    frames = []
    with av.open(path) as container:
        stream = container.streams.video[0]
        container.seek(max(0, int((start - half) / stream.time_base)), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.time is None or frame.time < start - half:
                continue
            if frame.time >= stop - half:
                break
            frames.append(frame.to_ndarray(format="rgb24"))
    return frames


class LeRobotDecoder:
    """Read one LeRobot episode into an Episode (built once per worker)."""

    def __init__(self, folder: LeRobotFolder, profile: DatasetProfile):
        self.folder, self.profile = folder, profile

    def key(self, ref: LeRobotEpisodeRef) -> str:
        return f"{self.folder.name}/{self.folder.split}/{ref.index}"

    def decode(self, ref: LeRobotEpisodeRef) -> Episode:
        """Raise EpisodeError for anything wrong with this one episode."""
        p, f, key = self.profile, self.folder, self.key(ref)
        image_key = resolve_key(p.image_key, f.features, image=True)
        state_key, action_key = (
            resolve_key(p.state_key, f.features),
            resolve_key(p.action_key, f.features),
        )
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
        state = np.asarray(table.column(state_key).to_pylist(), dtype=np.float32)
        action = np.asarray(table.column(action_key).to_pylist(), dtype=np.float32)
        for name, arr in (("state", state), ("action", action)):
            if not np.isfinite(arr).all():
                raise EpisodeError(
                    "decode", f"episode {key}: {name} has a non-finite value (NaN/inf)"
                )
        needed = max(max(p.xyz_indices), max(p.rotation_indices), p.gripper_index) + 1
        if state.ndim != 2 or state.shape[1] < needed:
            raise EpisodeError(
                "decode",
                f"episode {key}: state has shape {state.shape}, profile '{p.name}' needs {needed} values per step",
            )
        images = self._images(ref, table, image_key, key)
        if len(images) != table.num_rows:
            raise EpisodeError(
                "decode", f"episode {key}: {len(images)} video frames for {table.num_rows} rows"
            )
        task_index = (
            int(table.column("task_index")[0].as_py()) if "task_index" in table.column_names else 0
        )
        n = table.num_rows
        gripper = (
            state[:, p.gripper_index] if p.gripper_open_is_high else -state[:, p.gripper_index]
        )
        from PIL import Image

        with Image.open(io.BytesIO(images[0])) as first:
            size = first.size
        return Episode(
            key=key,
            dataset=f.name,
            instruction=f.tasks.get(task_index, ""),
            images=images,
            image_size=size,
            state=state,
            action=action,
            xyz=state[:, list(p.xyz_indices)],
            rotation=state[:, list(p.rotation_indices)],
            gripper=gripper,
            is_first=np.arange(n) == 0,
            is_last=np.arange(n) == n - 1,
            is_terminal=np.arange(n) == n - 1,
            metadata={"episode_index": ref.index, "fps": f.fps, "lerobot_version": f.version},
        )

    def _images(self, ref: LeRobotEpisodeRef, table, image_key: str, key: str) -> list[bytes]:
        if image_key in ref.videos:
            path, start, stop = ref.videos[image_key]
            try:
                return [_png(frame) for frame in decode_video(path, start, stop, self.folder.fps)]
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
