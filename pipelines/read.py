"""Read any registered source into `AnnotatedEpisode`s: units fan out, references fan out, decode.

Only references (a shard and a record offset, an episode's file) cross the shuffles, so no worker
holds the dataset; unreadable places and undecodable episodes go to quarantine with the reason.
References are grouped by the key their episode will have before anything is decoded: a later
episode with a key already seen is quarantined as a duplicate instead of merging with the first.
"""

from __future__ import annotations

import time

import apache_beam as beam
from apache_beam.metrics import Metrics

from ecot_annotate.errors import EpisodeError, quarantine_record
from ecot_annotate.frames import NOTHING, FrameRequest
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.sources.base import Damaged, Source, Unreadable
from pipelines.quarantine import (
    DAMAGE,
    NAMESPACE,
    QUARANTINE,
    report,
    to_quarantine,
    with_quarantine,
)


class ExpandFn(beam.DoFn):
    """A unit (a shard, an episode) -> references to its episodes; counts every episode found.

    Damage that holds no episode goes to quarantine as damage, not counted as an episode.
    """

    def __init__(self, dataset: Source, limit: int | None):
        self.dataset, self.limit = dataset, limit
        self.episodes_in = Metrics.counter(NAMESPACE, "episodes_in")

    def process(self, unit):
        for ref in self.dataset.refs(unit, self.limit):
            if isinstance(ref, Damaged):
                yield to_quarantine(quarantine_record(ref.where, DAMAGE, ref.error))
                continue
            self.episodes_in.inc()
            if isinstance(ref, Unreadable):
                yield to_quarantine(quarantine_record(ref.where, "read", ref.error))
            else:
                yield ref


class ReaderFn(beam.DoFn):
    """A DoFn holding the dataset's reader: opened once per worker, closed at teardown."""

    def __init__(self, dataset: Source, profile: DatasetProfile, frames: FrameRequest = NOTHING):
        self.dataset, self.profile, self.frames = dataset, profile, frames

    def setup(self):
        self.reader = self.dataset.reader(self.profile, self.frames, report)

    def teardown(self):
        if getattr(self, "reader", None) is not None:
            self.reader.close()


class IdentifyFn(ReaderFn):
    """A reference -> (identity, (place, ref)): what its episode's key would be, cheaply."""

    def process(self, ref):
        identity, place = self.reader.identity(ref)
        yield identity, (place, ref)


class FirstOfEachKeyFn(ReaderFn):
    """Of references whose episodes share a key, the first in the dataset is read; every later
    one goes to quarantine as a duplicate, so no two episodes merge under one key."""

    def __init__(self, dataset: Source, profile: DatasetProfile):
        super().__init__(dataset, profile)
        self.duplicates = Metrics.counter(NAMESPACE, "episodes_duplicate_key")

    def process(self, element):
        identity, placed = element
        ordered = sorted(placed, key=lambda item: item[0])
        yield ordered[0][1]
        if len(ordered) == 1:
            return
        key = identity[1] if identity[0] == "key" else str(identity)
        first = self.reader.where(ordered[0][1])[1]
        for _, ref in ordered[1:]:
            self.duplicates.inc()
            where = self.reader.where(ref)[1]
            reason = f"duplicate key: {key} was first read at {first}"
            yield to_quarantine(quarantine_record(key, "read", reason, where))


class DecodeFn(ReaderFn):
    """A reference -> its Episode, with the frames the run reads, or the quarantine record of why
    it cannot be read."""

    def __init__(self, dataset: Source, profile: DatasetProfile, frames: FrameRequest):
        super().__init__(dataset, profile, frames)
        self.steps_in = Metrics.counter(NAMESPACE, "steps_in")
        self.us = Metrics.distribution(NAMESPACE, "us_read")  # rows, state, action, frames' places

    def process(self, ref):
        start = time.perf_counter()
        try:
            episode = self.reader.read(ref)
        except EpisodeError as exc:
            key, where = self.reader.where(ref)
            yield to_quarantine(exc.record(key, where))
            return
        self.us.update(int(1e6 * (time.perf_counter() - start)))
        self.steps_in.inc(episode.n_steps)
        yield episode


class ReadEpisodes(beam.PTransform):
    """PBegin -> (PCollection[Episode], PCollection[quarantine record]); `frames`: what is read
    of each episode's frames."""

    def __init__(
        self, dataset: Source, profile: DatasetProfile, limit: int | None, frames: FrameRequest
    ):
        super().__init__()
        self.dataset, self.profile, self.limit, self.frames = dataset, profile, limit, frames

    def expand(self, pipeline):
        units = self.dataset.units(self.limit)
        refs = (
            pipeline
            | "Units" >> beam.Create(units)
            | "FanOutUnits" >> beam.Reshuffle()
            | "Expand" >> with_quarantine(ExpandFn(self.dataset, self.limit), "refs")
        )
        identified = refs.refs | "Identify" >> beam.ParDo(IdentifyFn(self.dataset, self.profile))
        firsts = (
            identified
            | "GroupByKey" >> beam.GroupByKey()
            | "FirstOfEachKey"
            >> with_quarantine(FirstOfEachKeyFn(self.dataset, self.profile), "refs")
        )
        decoded = (
            firsts.refs
            | "FanOutEpisodes" >> beam.Reshuffle()
            | "Decode"
            >> with_quarantine(DecodeFn(self.dataset, self.profile, self.frames), "episodes")
        )
        quarantine = (refs[QUARANTINE], firsts[QUARANTINE], decoded[QUARANTINE]) | (
            "ReadQuarantine" >> beam.Flatten()
        )
        return decoded.episodes, quarantine
