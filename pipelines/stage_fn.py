"""The one Beam wrapper of per-episode stages: timing, counters, quarantine and resume live here.

`StageFn(names, config)` runs the named registered stages in order on each `AnnotatedEpisode`.
The stages are built once per worker process and shared by its threads (Beam's `Shared`), so a
model loads once. An episode whose annotation was committed by an earlier run passes untouched;
an episode a stage fails on goes to quarantine with the stage's name and reason.
"""

from __future__ import annotations

import time
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import AnnotatedEpisode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.stages import build_stages, run_stage
from pipelines.quarantine import NAMESPACE, to_quarantine


class _Built:
    """A holder Beam's `Shared` can keep a weak reference to."""

    def __init__(self, stages: list):
        self.stages = stages


class StageFn(beam.DoFn):
    def __init__(self, names: tuple[str, ...], config: AnnotateConfig):
        self.names, self.config = names, config
        self._shared = shared.Shared()
        self.timers = {name: Metrics.distribution(NAMESPACE, f"us_{name}") for name in names}

    def setup(self):
        self.counters: dict[str, Any] = {}
        self.built = self._shared.acquire(
            lambda: _Built(build_stages(self.names, self.config, self._count)),
            tag=f"{','.join(self.names)}:{self.config.content_hash()}",
        )

    def _count(self, name: str, value: int = 1) -> None:
        if name not in self.counters:
            self.counters[name] = Metrics.counter(NAMESPACE, name)
        self.counters[name].inc(value)

    def process(self, item: AnnotatedEpisode):
        if item.committed:
            yield item
            return
        annotation = item.annotation
        for stage in self.built.stages:
            start = time.perf_counter()
            try:
                annotation = run_stage(stage, item.episode, annotation)
            except EpisodeError as exc:
                yield to_quarantine(exc.record(item.episode.key))
                return
            self.timers[stage.name].update(int(1e6 * (time.perf_counter() - start)))
        yield AnnotatedEpisode(item.episode, annotation)
