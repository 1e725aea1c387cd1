"""Read any registered source into `AnnotatedEpisode`s: units fan out, references fan out, decode.

Only references (a shard and a record offset, an episode's file) cross the shuffles, so no worker
holds the dataset; unreadable places and undecodable episodes go to quarantine with the reason.
"""

from __future__ import annotations

import time
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from ecot_annotate.errors import EpisodeError, quarantine_record
from ecot_annotate.profiles import load_profile
from ecot_annotate.sources import SOURCES
from ecot_annotate.sources.base import Unreadable
from pipelines.quarantine import NAMESPACE, QUARANTINE, to_quarantine


class ExpandFn(beam.DoFn):
    """A unit (a shard, an episode) -> references to its episodes; counts every episode found."""

    def __init__(self, source: str, dataset: Any, limit: int | None):
        self.source, self.dataset, self.limit = source, dataset, limit
        self.episodes_in = Metrics.counter(NAMESPACE, "episodes_in")

    def process(self, unit):
        for ref in SOURCES.get(self.source).refs(self.dataset, unit, self.limit):
            self.episodes_in.inc()
            if isinstance(ref, Unreadable):
                yield to_quarantine(quarantine_record(ref.where, "read", ref.error))
            else:
                yield ref


class DecodeFn(beam.DoFn):
    def __init__(self, source: str, dataset: Any, profile_name: str):
        self.source, self.dataset, self.profile_name = source, dataset, profile_name
        self.steps_in = Metrics.counter(NAMESPACE, "steps_in")
        self.us = Metrics.distribution(NAMESPACE, "us_decode")

    def setup(self):
        self.reader = SOURCES.get(self.source).reader(self.dataset, load_profile(self.profile_name))

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

    def teardown(self):
        if getattr(self, "reader", None) is not None:
            self.reader.close()


class ReadEpisodes(beam.PTransform):
    """PBegin -> (PCollection[Episode], PCollection[quarantine record])."""

    def __init__(self, source: str, dataset: Any, profile_name: str, limit: int | None):
        super().__init__()
        self.source, self.dataset = source, dataset
        self.profile_name, self.limit = profile_name, limit

    def expand(self, pipeline):
        units = SOURCES.get(self.source).units(self.dataset, self.limit)
        refs = (
            pipeline
            | "Units" >> beam.Create(units)
            | "FanOutUnits" >> beam.Reshuffle()
            | "Expand"
            >> beam.ParDo(ExpandFn(self.source, self.dataset, self.limit)).with_outputs(
                QUARANTINE, main="refs"
            )
        )
        decoded = (
            refs.refs
            | "FanOutEpisodes" >> beam.Reshuffle()
            | "Decode"
            >> beam.ParDo(DecodeFn(self.source, self.dataset, self.profile_name)).with_outputs(
                QUARANTINE, main="episodes"
            )
        )
        quarantine = (refs[QUARANTINE], decoded[QUARANTINE]) | "ReadQuarantine" >> beam.Flatten()
        return decoded.episodes, quarantine
