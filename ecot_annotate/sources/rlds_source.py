"""RLDS (TFDS folders) as a source: shards fan out, record headers are indexed, records decoded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from ecot_annotate import fs
from ecot_annotate.episode import Episode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.profiles.layout import DatasetLayout
from ecot_annotate.sources.base import SOURCES, Unreadable
from ecot_annotate.sources.rlds import (
    EpisodeDecoder,
    RldsDataset,
    Shard,
    check_profile,
    dataset_layout,
    index_shard,
    open_rlds,
)
from ecot_annotate.sources.tfrecord_file import RecordRef, read_record_at

RecordAt = tuple[Shard, RecordRef]


class RldsReader:
    """Keeps the current shard open: records of one shard mostly arrive together."""

    def __init__(self, dataset: RldsDataset, profile: DatasetProfile):
        self.decoder = EpisodeDecoder(dataset, profile)
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


class RldsSource:
    name = "rlds"
    title = "an RLDS (TFDS) version folder"
    marker = "dataset_info.json"
    copies_records = True

    def open(self, path: str, split: str) -> RldsDataset:
        return open_rlds(path, split)

    def check(self, dataset: RldsDataset, profile: DatasetProfile) -> None:
        check_profile(dataset, profile)

    def layout(self, dataset: RldsDataset) -> DatasetLayout:
        return dataset_layout(dataset)

    def units(self, dataset: RldsDataset, limit: int | None) -> list[Shard]:
        return list(dataset.shards)

    def refs(
        self, dataset: RldsDataset, unit: Shard, limit: int | None
    ) -> Iterator[RecordAt | Unreadable]:
        for ref in index_shard(unit):
            if limit is not None and (unit.first_index or 0) + ref.position >= limit:
                return
            if isinstance(ref, RecordRef):
                yield unit, ref
            else:
                yield Unreadable(f"{unit.path}:{ref.position}", ref.error or "unreadable")

    def reader(self, dataset: RldsDataset, profile: DatasetProfile) -> RldsReader:
        return RldsReader(dataset, profile)


SOURCES.register("rlds")(RldsSource())
