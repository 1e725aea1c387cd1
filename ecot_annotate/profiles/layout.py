"""What a dataset declares about its own features, in one shape for RLDS and LeRobot.

Validation and inference read this instead of TFDS or LeRobot objects, so both work the same on
either source and can be tested with a hand-written layout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ecot_annotate.layouts.lerobot import TRUTH_PREFIX
from ecot_annotate.profiles.decision import Decision

IMAGE, TEXT, TENSOR = "image", "text", "tensor"


@dataclass(frozen=True)
class Conventions:
    """How a kind of dataset keeps what profiles read, so inference and the summary follow the
    data's habits without asking which reader it came from."""

    task_table: bool = False  # each episode's instruction is kept in a task table
    bare_keys: bool = False  # the state may be a top-level `state`, the action `actions`
    truth_columns: str | None = None  # prefix of per-frame ground-truth columns, if any
    episode_keys: str | None = None  # how episode keys are made; None: from the profile's keys


RLDS = Conventions()


@dataclass(frozen=True)
class ValueGroup:
    """A named span of a vector's values, as a dataset's own metadata groups them
    (GR00T's meta/modality.json: `left_arm` 0:7, `right_hand` 29:35)."""

    name: str
    start: int
    end: int

    @property
    def indices(self) -> tuple[int, ...]:
        return tuple(range(self.start, self.end))


@dataclass(frozen=True)
class Feature:
    kind: str  # image | text | tensor
    dtype: str
    shape: tuple[int, ...] = ()
    doc: str = ""  # the dataset's own description of the feature, if any
    names: tuple[str, ...] = ()  # per-value names (LeRobot `names`), if any
    low: tuple[float, ...] = ()  # per-value minimum over the dataset (LeRobot meta/stats.json)
    high: tuple[float, ...] = ()  # per-value maximum
    groups: tuple[ValueGroup, ...] = ()  # named spans of the values, where the dataset says

    @property
    def width(self) -> int:
        """Values per step once flattened (a scalar counts as one)."""
        return math.prod(d for d in self.shape if d is not None and d > 0) if self.shape else 1

    @property
    def is_rgb(self) -> bool:
        return self.kind == IMAGE and self.dtype == "uint8" and self.shape[-1:] == (3,)


@dataclass(frozen=True)
class DatasetLayout:
    """Step-level and episode-level features of one dataset, by key."""

    name: str
    steps: dict[str, Feature] = field(default_factory=dict)
    episode: dict[str, Feature] = field(default_factory=dict)
    conventions: Conventions = RLDS
    fps: float | None = None  # steps per second, where the dataset states it (LeRobot does)
    unshipped: tuple[str, ...] = ()  # cameras declared whose frames are nowhere (no video file)
    robot_type: str | None = None  # LeRobot's robot_type (so101_follower, aloha, ...)
    notes: tuple[Decision, ...] = ()  # how the reader took metadata that disagrees with the data

    @property
    def no_frames(self) -> bool:
        """Cameras are declared but not one ships a frame: the data can only be read as state."""
        images = [k for k, f in self.steps.items() if f.kind == IMAGE]
        return bool(images) and set(images) <= set(self.unshipped)

    def feature(self, key: str) -> Feature | None:
        return self.steps.get(key) or self.episode.get(key)

    def all_keys(self) -> list[str]:
        return sorted(set(self.steps) | set(self.episode))


def _dtype_name(feature) -> str:
    import numpy as np

    dtype = np.dtype(feature.np_dtype)
    return "string" if dtype.kind in "OSU" else dtype.name


def rlds_layout(name: str, features) -> DatasetLayout:
    """The layout of a TFDS FeaturesDict with a `steps` Dataset (RLDS)."""
    import tensorflow_datasets as tfds

    def walk(feature, prefix: str, out: dict[str, Feature]) -> None:
        if isinstance(feature, tfds.features.FeaturesDict):
            for key, child in feature.items():
                walk(child, f"{prefix}{key}/", out)
            return
        key = prefix.rstrip("/")
        doc = (feature.doc.desc or "") if getattr(feature, "doc", None) else ""
        dtype = _dtype_name(feature)
        shape = tuple(int(d) if d is not None else -1 for d in (feature.shape or ()))
        if isinstance(feature, tfds.features.Image):
            out[key] = Feature(IMAGE, dtype, shape, doc)
        elif dtype == "string":
            out[key] = Feature(TEXT, "string", shape, doc)
        else:
            out[key] = Feature(TENSOR, dtype, shape, doc)

    steps: dict[str, Feature] = {}
    episode: dict[str, Feature] = {}
    for key, child in features.items():
        if key == "steps" and isinstance(child, tfds.features.Dataset):
            walk(child.feature, "", steps)
        else:
            walk(child, f"{key}/", episode)
    return DatasetLayout(name, steps, episode, RLDS)


def _names(names) -> tuple[str, ...]:
    """LeRobot's per-value `names`: a list, a list wrapped in a list (`[["a", "b"]]`), or a dict of
    lists as older lerobot writes (`{"motors": [...]}`), concatenated in order."""
    if isinstance(names, dict):
        names = [n for part in names.values() for n in (part if isinstance(part, list) else [part])]
    if isinstance(names, list) and len(names) == 1 and isinstance(names[0], list):
        names = names[0]
    if not isinstance(names, list) or not all(isinstance(n, str | int) for n in names):
        return ()
    return tuple(str(n) for n in names)


def _image_shape(shape: tuple[int, ...], names) -> tuple[int, ...]:
    """(height, width, channels), also for shapes declared channels-first."""
    chw = isinstance(names, list) and names[:1] in (["channels"], ["channel"], ["c"])
    first = shape[:1] in ((1,), (3,), (4,))
    if len(shape) == 3 and (chw or (first and shape[-1] not in (1, 3, 4))):
        return (*shape[1:], shape[0])
    return shape


def _range(stats: dict, key: str, width: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(min, max) per value from meta/stats.json, or () where it does not give them whole."""
    entry = stats.get(key) if isinstance(stats, dict) else None
    low, high = (entry.get("min"), entry.get("max")) if isinstance(entry, dict) else (None, None)
    if not (isinstance(low, list) and isinstance(high, list) and len(low) == len(high) == width):
        return (), ()
    try:
        return tuple(float(v) for v in low), tuple(float(v) for v in high)
    except (TypeError, ValueError):
        return (), ()


LEROBOT = Conventions(
    task_table=True,
    bare_keys=True,
    truth_columns=TRUTH_PREFIX,
    episode_keys="episode_index (keys: dataset/split/episode_index)",
)


def lerobot_layout(
    name: str,
    info_features: dict,
    fps: float | None = None,
    unshipped: tuple[str, ...] = (),
    robot_type: str | None = None,
    stats: dict | None = None,
    groups: dict[str, tuple[ValueGroup, ...]] | None = None,
    notes: tuple[Decision, ...] = (),
) -> DatasetLayout:
    """The layout of a LeRobot dataset from the `features` of its meta/info.json, the value
    ranges of its meta/stats.json, the value groups its metadata names (`groups`), and the
    reader's notes on metadata that disagreed with the files."""
    steps: dict[str, Feature] = {}
    for key, spec in info_features.items():
        dtype = str(spec.get("dtype", ""))
        shape = tuple(int(d) for d in spec.get("shape") or ())
        if dtype in ("video", "image"):
            steps[key] = Feature(IMAGE, "uint8", _image_shape(shape, spec.get("names")), "", ())
        elif dtype == "string":
            steps[key] = Feature(TEXT, dtype, shape)
        else:
            feature = Feature(TENSOR, dtype, shape, "", _names(spec.get("names")))
            low, high = _range(stats or {}, key, feature.width)
            within = tuple(g for g in (groups or {}).get(key, ()) if g.end <= feature.width)
            steps[key] = replace(feature, low=low, high=high, groups=within)
    return DatasetLayout(name, steps, {}, LEROBOT, fps, tuple(unshipped), robot_type, notes)
