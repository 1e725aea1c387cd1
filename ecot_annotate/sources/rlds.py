"""RLDS (TFDS folder) source: list shards, read records, decode one record into an Episode.

Decoding uses the dataset's own `features.deserialize_example_np` with image decoding skipped, so
frames stay the JPEG bytes the dataset stored. Everything here is picklable and runs the same in a
test, in DirectRunner and on a cluster worker (paths may be gs:// or s3://).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecot_annotate import fs
from ecot_annotate.episode import Episode
from ecot_annotate.errors import EpisodeError, InputError, ProfileKeyError
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.profiles.kinematics import end_effector_track
from ecot_annotate.profiles.layout import DatasetLayout, rlds_layout
from ecot_annotate.profiles.validate import check_profile_fits
from ecot_annotate.sources.tfds_folder import (
    index_shard_file,
    read_features,
    read_shard_file,
    read_split_info,
    shard_paths,
)
from ecot_annotate.sources.values import frame_bytes, image_sizes, jsonable, text_of, vectors

STEPS = "steps"
META = "episode_metadata"


@dataclass(frozen=True)
class Shard:
    path: str
    first_index: int | None  # index of the shard's first episode in the split, when known
    declared: int | None = None  # records dataset_info.json says the shard holds


@dataclass
class RldsDataset:
    """A TFDS dataset folder opened for reading one split."""

    root: str
    name: str
    split: str
    shards: list[Shard]
    features_json: str  # the folder's features.json, so workers rebuild features without the folder
    num_episodes: int | None  # declared by dataset_info.json (records present or not)
    version: str = "1.0.0"

    def features(self):
        import tensorflow_datasets as tfds

        return tfds.features.FeatureConnector.from_json(json.loads(self.features_json))


def open_rlds(root: str, split: str = "train") -> RldsDataset:
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
    for path, declared in shard_paths(root, name, split, info.shard_lengths):
        shards.append(Shard(path, first, declared))
        first = None if first is None or declared is None else first + declared
    total = sum(info.shard_lengths) if info.shard_lengths else None
    return RldsDataset(root, name, split, shards, features_json, total, info.version or "1.0.0")


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out.update(_flatten(value, f"{prefix}{key}/"))
        return out
    return {prefix.rstrip("/"): tree}


def feature_keys(features) -> tuple[set[str], set[str]]:
    """Step keys and episode-level keys of a FeaturesDict, as '/'-joined paths."""
    steps = set(_flatten(features[STEPS].feature.get_tensor_info())) if STEPS in features else set()
    episode = {k for k in _flatten(features.get_tensor_info()) if not k.startswith(f"{STEPS}/")}
    return steps, episode


def dataset_layout(dataset: RldsDataset) -> DatasetLayout:
    """What the dataset's features.json declares, for validating and inferring profiles."""
    features = dataset.features()
    if STEPS not in features:
        raise InputError(f"{dataset.root} has no 'steps' feature: it is not an RLDS dataset")
    return rlds_layout(dataset.name, features)


def check_profile(dataset: RldsDataset, profile: DatasetProfile) -> None:
    """Fail before any work, naming every way the profile does not fit the dataset."""
    check_profile_fits(profile, dataset_layout(dataset))


def _image_decoders(features) -> dict:
    import tensorflow_datasets as tfds

    def walk(feature):
        if isinstance(feature, tfds.features.Image):
            return tfds.decode.SkipDecoding()
        if isinstance(feature, tfds.features.FeaturesDict):
            found = {k: walk(v) for k, v in feature.items()}
            return {k: v for k, v in found.items() if v is not None} or None
        if isinstance(feature, tfds.features.Dataset):
            return walk(feature.feature)
        return None

    return walk(features) or {}


class EpisodeDecoder:
    """Decode serialized RLDS records of one dataset into Episodes (built once per worker)."""

    def __init__(self, dataset: RldsDataset, profile: DatasetProfile):
        self.dataset, self.profile = dataset, profile
        self._features = None
        self._decoders = None

    def _ensure(self) -> None:
        if self._features is None:
            self._features = self.dataset.features()
            self._decoders = _image_decoders(self._features)

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
        steps = [_flatten(step) for step in example[STEPS]]
        episode_level = _flatten({k: v for k, v in example.items() if k != STEPS})
        key, file_path, episode_id = self.episode_key(episode_level, shard, pos)
        if not steps:
            raise EpisodeError("decode", f"episode {key} has zero steps")
        p = self.profile
        for name in (p.image_key, *p.state_keys, *p.action_keys):
            if name not in steps[0]:
                raise EpisodeError("decode", str(ProfileKeyError(name, p.name, sorted(steps[0]))))
        state, action = vectors(steps, p.state_keys), vectors(steps, p.action_keys)
        instruction = ""
        if p.instruction_key in steps[0]:
            instruction = text_of(steps[0][p.instruction_key])
        elif p.instruction_key in episode_level:
            instruction = text_of(episode_level[p.instruction_key])
        images = [frame_bytes(s[p.image_key]) for s in steps]
        for name, arr in (("state", state), ("action", action)):
            bad = np.argwhere(~np.isfinite(arr))
            if len(bad):
                raise EpisodeError(
                    "decode",
                    f"episode {key}: {name} has a non-finite value (NaN/inf) at step {int(bad[0][0])}",
                )
        track = episode_track(p, state, action, key)
        image_size = image_sizes(images, p.image_key)

        def flags(name: str) -> np.ndarray:
            return np.asarray([bool(s.get(name, False)) for s in steps])

        ground_truth = None
        if p.ground_truth_key:
            prefix = p.ground_truth_key + "/"
            gt_steps = {
                k[len(prefix) :]: np.asarray([s[k] for s in steps])
                for k in steps[0]
                if k.startswith(prefix)
            }
            gt_episode = {
                k[len(prefix) :]: np.asarray(v)
                for k, v in episode_level.items()
                if k.startswith(prefix)
            }
            ground_truth = {**gt_steps, **gt_episode} or None
        metadata = {k: jsonable(v) for k, v in episode_level.items()}
        return Episode(
            key=key,
            dataset=self.dataset.name,
            instruction=instruction,
            images=images,
            image_size=image_size,
            state=state,
            action=action,
            xyz=track.xyz,
            rotation=track.rotation,
            gripper=track.gripper,
            is_first=flags("is_first"),
            is_last=flags("is_last"),
            is_terminal=flags("is_terminal"),
            file_path=file_path,
            episode_id=episode_id,
            metadata=metadata,
            ground_truth=ground_truth,
            record=raw,
            motion_source=track.source,
        )


def episode_track(profile: DatasetProfile, state: np.ndarray, action: np.ndarray, key: str):
    """The profile's end-effector track, or an EpisodeError when this episode is too narrow."""
    try:
        return end_effector_track(profile, state, action)
    except IndexError:
        raise EpisodeError(
            "decode",
            f"episode {key}: state has shape {state.shape} and action {action.shape}; "
            f"profile '{profile.name}' reads indices past their end",
        ) from None


def missing_features(raw: bytes, features) -> list[str]:
    """Serialized feature names the dataset declares but this record does not carry."""
    from tensorflow_datasets.proto import tf_example_pb2 as example_pb2

    try:
        present = set(example_pb2.Example.FromString(raw).features.feature)
    except Exception:  # noqa: BLE001 - not even a tf.train.Example: nothing to name
        return []
    return sorted(set(_flatten(features.get_serialized_info())) - present)


def index_shard(shard: Shard) -> Iterator:
    """RecordRefs of the shard's records and an error Record for each one it should hold but cannot give."""
    return index_shard_file(shard.path, shard.declared)


def read_shard(shard: Shard) -> Iterator[tuple[int, bytes | None, str | None]]:
    """(position, record bytes or None, error) for every record of one shard, as index_shard counts them."""
    return read_shard_file(shard.path, shard.declared)
