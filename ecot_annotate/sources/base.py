"""The shape of a dataset source, and the table of sources by name.

A source opens a dataset, checks a profile against it, lists the units that fan out first
(shards, episodes), turns one unit into references to episodes (cheap: no frame is read), and
reads one reference into an Episode. Only references cross a runner's shuffle, so no worker ever
holds the dataset.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ecot_annotate.episode import Episode
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.profiles.layout import DatasetLayout
from ecot_annotate.registry import Registry


@dataclass(frozen=True)
class Unreadable:
    """A place in the dataset that holds an episode nobody can read (a broken record header)."""

    where: str
    error: str


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
    name: str
    title: str  # what the folder is, for messages: "a LeRobot dataset"
    marker: str  # a file only this kind of folder holds, relative to it (`--source auto`)
    copies_records: bool  # its records can be copied into augmented RLDS output

    def open(self, path: str, split: str) -> Any: ...

    def check(self, dataset: Any, profile: DatasetProfile) -> None: ...

    def layout(self, dataset: Any) -> DatasetLayout:
        """What the dataset declares about its features (for inferring and checking profiles)."""
        ...

    def units(self, dataset: Any, limit: int | None) -> list[Any]: ...

    def refs(self, dataset: Any, unit: Any, limit: int | None) -> Iterator[Any | Unreadable]: ...

    def reader(self, dataset: Any, profile: DatasetProfile) -> EpisodeReader: ...


SOURCES: Registry[Source] = Registry("source")
