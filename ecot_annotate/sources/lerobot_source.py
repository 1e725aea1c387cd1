"""LeRobot folders (v2.1, v3.0) as a source: episodes fan out, each worker decodes one episode."""

from __future__ import annotations

from collections.abc import Iterator

from ecot_annotate.episode import Episode
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.profiles.layout import DatasetLayout
from ecot_annotate.sources.base import SOURCES
from ecot_annotate.sources.lerobot import (
    LeRobotDecoder,
    LeRobotEpisodeRef,
    LeRobotFolder,
    check_lerobot_profile,
    open_lerobot,
)
from ecot_annotate.sources.lerobot_profile import dataset_layout


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


class LeRobotSource:
    name = "lerobot"
    title = "a LeRobot dataset"
    marker = "meta/info.json"
    copies_records = False

    def open(self, path: str, split: str) -> LeRobotFolder:
        return open_lerobot(path, split)

    def check(self, dataset: LeRobotFolder, profile: DatasetProfile) -> None:
        check_lerobot_profile(dataset, profile)

    def layout(self, dataset: LeRobotFolder) -> DatasetLayout:
        return dataset_layout(dataset)

    def units(self, dataset: LeRobotFolder, limit: int | None) -> list[LeRobotEpisodeRef]:
        return dataset.episodes if limit is None else dataset.episodes[:limit]

    def refs(
        self, dataset: LeRobotFolder, unit: LeRobotEpisodeRef, limit: int | None
    ) -> Iterator[LeRobotEpisodeRef]:
        yield unit

    def reader(self, dataset: LeRobotFolder, profile: DatasetProfile) -> LeRobotReader:
        return LeRobotReader(dataset, profile)


SOURCES.register("lerobot")(LeRobotSource())
