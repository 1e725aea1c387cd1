"""The shape of a dataset source, and the table of sources by name.

A source is the class of an opened dataset: `open` reads a folder into one, which checks a profile
against itself, lists the units that fan out first (shards, episodes), turns one unit into
references to episodes (cheap: no frame is read), and builds the reader that reads one reference
into an Episode. Only references cross a runner's shuffle, so no worker ever holds more than
the dataset's metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from ecot_annotate.counting import Count, no_count
from ecot_annotate.episode import Episode
from ecot_annotate.frames import PIXELS, FrameRequest
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.profiles.layout import DatasetLayout
from ecot_annotate.registry import Registry


@dataclass(frozen=True)
class Unreadable:
    """A place in the dataset that holds an episode nobody can read (a broken record header)."""

    where: str
    error: str


@dataclass(frozen=True)
class Damaged(Unreadable):
    """Unreadable bytes that hold none of the declared episodes (garbage after a shard's last
    record): reported with the shard's damage, never counted as an episode."""


@dataclass
class DatasetFolder:
    """What every opened dataset knows of itself; messages, keys and output formats name these."""

    root: str
    name: str
    split: str


class EpisodeReader(Protocol):
    """Built once per worker; reads references of one dataset into Episodes."""

    def read(self, ref: Any) -> Episode:
        """The episode, or EpisodeError for anything wrong with this one episode."""
        ...

    def where(self, ref: Any) -> tuple[str, str]:
        """(key to quarantine under, where it was read) when `read` fails."""
        ...

    def identity(self, ref: Any) -> tuple[tuple, tuple]:
        """(identity, place), cheaply: references with equal identities would read into episodes
        with the same key; the place orders them, so the first in the dataset is kept."""
        ...

    def close(self) -> None: ...


class Source(Protocol):
    """An opened dataset (a DatasetFolder). The class is what registers: `open` reads a folder."""

    root: str
    name: str
    split: str
    title: ClassVar[str]  # what the folder is, for messages: "a LeRobot dataset"
    marker: ClassVar[str]  # a file only this kind of folder holds, relative to it (`--source auto`)
    copies_records: ClassVar[bool]  # its records can be copied into augmented RLDS output
    num_episodes: int | None  # as the dataset declares it; None when it does not say

    @classmethod
    def open(cls, root: str, split: str) -> Source: ...

    def check(self, profile: DatasetProfile) -> None: ...

    def layout(self) -> DatasetLayout:
        """What the dataset declares about its features (for inferring and checking profiles)."""
        ...

    def units(self, limit: int | None) -> list[Any]: ...

    def refs(self, unit: Any, limit: int | None) -> Iterator[Any | Unreadable]: ...

    def reader(
        self, profile: DatasetProfile, frames: FrameRequest = PIXELS, count: Count = no_count
    ) -> EpisodeReader:
        """The reader of episodes with the `frames` asked for: none at all (NOTHING: state and
        action only), those a step looks at, those an output stores (a video reference does).
        `count` receives counters, and the time spent decoding frames as `us_decode`."""
        ...

    def frames_in_video(self, profile: DatasetProfile) -> bool:
        """Whether the profile's camera is stored as video, so that an output may keep references
        into it (file and time) instead of the frames."""
        ...


def declared_episodes(dataset: Source, limit: int | None) -> int | None:
    """Episodes the dataset declares, within the limit; None when it does not say."""
    declared = dataset.num_episodes
    return declared if limit is None or declared is None else min(limit, declared)


def episode_refs(dataset: Source, limit: int | None = None) -> Iterator[Any | Unreadable]:
    """Every episode reference of the dataset in its order, unit after unit (no frame is read)."""
    for unit in dataset.units(limit):
        yield from dataset.refs(unit, limit)


SOURCES: Registry[type[Source]] = Registry("source")
