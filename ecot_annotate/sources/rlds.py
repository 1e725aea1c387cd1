# Long file: one RLDS folder from opening it to decoded Episodes, the whole source protocol in one place.
"""RLDS (TFDS folder) source: list shards, index their records, decode one record into an Episode.

Decoding uses the dataset's own `features.deserialize_example_np` with image decoding skipped, so
frames stay the JPEG bytes the dataset stored. Everything here is picklable and runs the same in a
test, in DirectRunner and on a cluster worker (paths may be gs:// or s3://).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, ClassVar

import numpy as np

from ecot_annotate import fs
from ecot_annotate.counting import Count, no_count
from ecot_annotate.episode import Episode
from ecot_annotate.errors import EpisodeError, InputError, ProfileKeyError
from ecot_annotate.frames import PIXELS, FrameRequest
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.profiles.kinematics import episode_arms
from ecot_annotate.profiles.layout import DatasetLayout, rlds_layout
from ecot_annotate.profiles.validate import check_profile_fits
from ecot_annotate.sources.base import SOURCES, Damaged, DatasetFolder, Unreadable
from ecot_annotate.sources.tfds_features import STEPS, flatten, image_decoders, missing_features
from ecot_annotate.sources.tfds_folder import (
    index_shard_file,
    read_features,
    read_shard_file,
    read_split_info,
    shard_paths,
)
from ecot_annotate.sources.tfrecord_file import Gap, RecordRef, read_record_at
from ecot_annotate.sources.values import (
    image_sizes,
    jsonable,
    robot_vectors,
    step_flags,
    stored_frame,
    text_of,
)


@dataclass(frozen=True)
class Shard:
    path: str
    first_index: int | None  # index of the shard's first episode in the split, when known
    declared: int | None = None  # records dataset_info.json says the shard holds


RecordAt = tuple[Shard, RecordRef]


@SOURCES.register("rlds")
@dataclass
class RldsDataset(DatasetFolder):
    """A TFDS dataset folder opened for reading one split. As a source, its shards fan out first
    and each shard's record headers are indexed without reading a record."""

    title: ClassVar[str] = "an RLDS (TFDS) version folder"
    marker: ClassVar[str] = "dataset_info.json"
    copies_records: ClassVar[bool] = True

    shards: list[Shard]
    features_json: str  # the folder's features.json, so workers rebuild features without the folder
    num_episodes: int | None  # declared by dataset_info.json (records present or not)
    version: str = "1.0.0"

    @classmethod
    def open(cls, root: str, split: str = "train") -> RldsDataset:
        """Open a TFDS folder (the one holding dataset_info.json) or raise a one-line InputError."""
        root = root.rstrip("/")
        info_path, features_path = f"{root}/dataset_info.json", f"{root}/features.json"
        if not fs.exists(info_path) or not fs.exists(features_path):
            raise InputError(
                f"{root} is not a TFDS dataset folder: it needs dataset_info.json and features.json "
                f"(point at the version folder, e.g. .../bridge_dataset/1.0.0)"
            )
        info = read_split_info(info_path, split)
        features_json = read_features(features_path)
        name = info.name or (root.split("/")[-2] if "/" in root else root)
        shards, first = [], 0
        for shard_path, declared in shard_paths(root, name, split, info.shard_lengths):
            shards.append(Shard(shard_path, first, declared))
            first = None if first is None or declared is None else first + declared
        total = sum(info.shard_lengths) if info.shard_lengths else None
        return cls(root, name, split, shards, features_json, total, info.version or "1.0.0")

    def features(self):
        import tensorflow_datasets as tfds

        return tfds.features.FeatureConnector.from_json(json.loads(self.features_json))

    def layout(self) -> DatasetLayout:
        """What the dataset's features.json declares, for validating and inferring profiles."""
        features = self.features()
        if STEPS not in features:
            raise InputError(f"{self.root} has no 'steps' feature: it is not an RLDS dataset")
        return rlds_layout(self.name, features)

    def check(self, profile: DatasetProfile) -> None:
        """Fail before any work, naming every way the profile does not fit the dataset."""
        check_profile_fits(profile, self.layout())

    def units(self, limit: int | None) -> list[Shard]:
        return list(self.shards)

    def refs(self, unit: Shard, limit: int | None) -> Iterator[RecordAt | Unreadable]:
        for ref in index_shard(unit):
            if isinstance(ref, Gap):
                where = f"{unit.path}:bytes {ref.start}-{ref.end}"
                yield Damaged(where, f"{ref.reason}: damage outside the declared records")
                continue
            if limit is not None and (unit.first_index or 0) + ref.position >= limit:
                return
            if isinstance(ref, RecordRef):
                yield unit, ref
            else:
                yield Unreadable(f"{unit.path}:{ref.position}", ref.error or "unreadable")

    def reader(
        self, profile: DatasetProfile, frames: FrameRequest = PIXELS, count: Count = no_count
    ) -> RldsReader:
        return RldsReader(self, profile, frames)

    def frames_in_video(self, profile: DatasetProfile) -> bool:
        return False


class EpisodeDecoder:
    """Decode serialized RLDS records of one dataset into Episodes (built once per worker)."""

    def __init__(
        self, dataset: RldsDataset, profile: DatasetProfile, frames: FrameRequest = PIXELS
    ):
        self.dataset, self.profile = dataset, profile
        self.frames = bool(frames.any_frame)  # the record holds every frame's bytes: all or none
        self._features = None
        self._decoders = None

    def _ensure(self) -> None:
        if self._features is None:
            self._features = self.dataset.features()
            self._decoders = image_decoders(self._features)

    def episode_key(
        self, metadata: dict[str, Any], shard: Shard, pos: int
    ) -> tuple[str, str | None, str | None]:
        """(key, file_path, episode_id): stable and independent of run order.

        With the dataset's file_path and episode_id: ECoT's `file_path_episode_id`. With a
        file_path only (LIBERO's layout: many episodes per file), the record's place (shard
        file name and position in it) stands in for the id. With neither, the key is
        `dataset/split/shard:position`.
        """
        p = self.profile
        where = f"{shard.path.rsplit('/', 1)[-1]}:{pos}"
        raw_path = metadata.get(p.file_path_key) if p.file_path_key else None
        raw_id = metadata.get(p.episode_id_key) if p.episode_id_key else None
        file_path = text_of(raw_path, "backslashreplace") if raw_path is not None else ""
        episode_id = text_of(jsonable(raw_id), "backslashreplace") if raw_id is not None else ""
        if file_path and episode_id:
            return f"{file_path}_{episode_id}", file_path, episode_id
        if file_path:
            return f"{file_path}_{where}", file_path, where
        return f"{self.dataset.name}/{self.dataset.split}/{where}", None, None

    def key_of(self, raw: bytes, shard: Shard, pos: int) -> str | None:
        """The episode's key from the record's id features alone (no frame is touched), or None
        when the record cannot be parsed."""
        from tensorflow_datasets.proto import tf_example_pb2 as example_pb2

        try:
            features = example_pb2.Example.FromString(raw).features.feature
        except Exception:  # noqa: BLE001 - decoding will quarantine this record with the reason
            return None
        metadata: dict[str, Any] = {}
        for name in (self.profile.file_path_key, self.profile.episode_id_key):
            if name in features:
                feature = features[name]
                values = feature.bytes_list.value or feature.int64_list.value
                if values:
                    metadata[name] = values[0]
        return self.episode_key(metadata, shard, pos)[0]

    def decode(self, raw: bytes, shard: Shard, pos: int) -> Episode:
        """Raise EpisodeError for anything wrong with this one record."""
        self._ensure()
        try:
            example = self._features.deserialize_example_np(raw, decoders=self._decoders)
        except Exception as exc:  # noqa: BLE001 - any decode failure is this record's fault
            missing = missing_features(raw, self._features)
            if missing:
                raise EpisodeError(
                    "decode", f"record lacks the feature(s) {', '.join(missing)}"
                ) from exc
            raise EpisodeError(
                "decode",
                f"record is not a valid example of this dataset: {type(exc).__name__}: {exc}",
            ) from exc
        steps = [flatten(step) for step in example[STEPS]]
        episode_level = flatten({k: v for k, v in example.items() if k != STEPS})
        key, file_path, episode_id = self.episode_key(episode_level, shard, pos)
        if not steps:
            raise EpisodeError("decode", f"episode {key} has zero steps")
        p = self.profile
        for name in (p.image_key, *p.state_keys, *p.action_keys):
            if name is not None and name not in steps[0]:
                raise EpisodeError("decode", str(ProfileKeyError(name, p.name, sorted(steps[0]))))
        state, action = robot_vectors(steps, p, key)
        frames = [stored_frame(s[p.image_key]) for s in steps] if p.image_key else []
        images = frames if self.frames else []
        return Episode(
            key=key,
            dataset=self.dataset.name,
            instruction=_instruction(p.instruction_key, steps[0], episode_level),
            images=images,
            image_size=image_sizes(images or frames[:1], p.image_key),
            state=state,
            action=action,
            arms=episode_arms(p, state, action, key),
            **step_flags(steps),
            file_path=file_path,
            episode_id=episode_id,
            metadata={k: jsonable(v) for k, v in episode_level.items()},
            ground_truth=_ground_truth(p.ground_truth_key, steps, episode_level),
            record=raw,
        )


def _instruction(name: str, first_step: dict[str, Any], episode_level: dict[str, Any]) -> str:
    """The instruction from the first step, else from the episode's own features, else none."""
    if name in first_step:
        return text_of(first_step[name])
    if name in episode_level:
        return text_of(episode_level[name])
    return ""


def _ground_truth(
    name: str | None, steps: list[dict[str, Any]], episode_level: dict[str, Any]
) -> dict[str, np.ndarray] | None:
    """Values stored under the profile's ground-truth key, per step and per episode (the
    generated sample stores its camera, gripper pixels and boxes there)."""
    if not name:
        return None
    prefix = name + "/"
    per_step = {
        k[len(prefix) :]: np.asarray([s[k] for s in steps])
        for k in steps[0]
        if k.startswith(prefix)
    }
    per_episode = {
        k[len(prefix) :]: np.asarray(v) for k, v in episode_level.items() if k.startswith(prefix)
    }
    return {**per_step, **per_episode} or None


class RldsReader:
    """Keeps the current shard open: records of one shard mostly arrive together."""

    def __init__(self, dataset: RldsDataset, profile: DatasetProfile, frames: FrameRequest):
        self.decoder = EpisodeDecoder(dataset, profile, frames)
        self.handle: BinaryIO | None = None
        self.handle_path: str | None = None

    def where(self, ref: RecordAt) -> tuple[str, str]:
        shard, record = ref
        place = f"{shard.path}:{record.position}"
        return place, place

    def _record(self, ref: RecordAt) -> tuple[bytes | None, str | None]:
        shard, record = ref
        if self.handle_path != shard.path:
            self.close()
            self.handle, self.handle_path = fs.open_read(shard.path), shard.path
        return read_record_at(self.handle, record)

    def identity(self, ref: RecordAt) -> tuple[tuple, tuple]:
        """Keys made of the record's place never collide; only the dataset's own ids can."""
        shard, record = ref
        place = (shard.path, record.position)
        if self.decoder.profile.file_path_key and self.decoder.profile.episode_id_key:
            data, _ = self._record(ref)
            key = None if data is None else self.decoder.key_of(data, shard, record.position)
            if key is not None:
                return ("key", key), place
        return ("place", *place), place

    def read(self, ref: RecordAt) -> Episode:
        shard, record = ref
        data, error = self._record(ref)
        if data is None:
            raise EpisodeError("read", error or "unreadable")
        return self.decoder.decode(data, shard, record.position)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle, self.handle_path = None, None


def index_shard(shard: Shard) -> Iterator:
    """RecordRefs of the shard's records and an error Record for each one it should hold but cannot give."""
    return index_shard_file(shard.path, shard.declared)


def read_shard(shard: Shard) -> Iterator[tuple[int, bytes | None, str | None]]:
    """(position, record bytes or None, error) for every record of one shard, as index_shard counts them."""
    return read_shard_file(shard.path, shard.declared)
