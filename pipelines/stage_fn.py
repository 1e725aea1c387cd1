"""The one Beam wrapper of per-episode stages: timing, counters, quarantine and resume live here.

`StageFn(steps, config)` runs the plan's per-episode steps in order on each `AnnotatedEpisode`.
The stages are built once per worker process and shared by its threads (Beam's `Shared`), so a
model loads once. An episode whose annotation was committed by an earlier run passes untouched
(here, not around the DoFn through a Partition and a Flatten: Beam's local FnApiRunner holds every
element of a Flatten's inputs in memory, so a run's memory would grow with its episodes); an
episode a stage fails on goes to quarantine with the stage's name and reason.

A step that mostly waits (on an LLM server, say) declares `concurrency = N`: the episodes then
run through a pool of N threads, shared like the stages by every StageFn of the process, so up to
N are in flight per worker process (this pool is the one cap on `--llm-concurrency`). Each is
emitted as soon as it is done, in any order, with its own window and timestamp. A DoFn instance
holds at most N episodes at once; the bundle's last ones are emitted by `finish_bundle`. Counters and timings from the pool's
threads are collected and reported from the bundle's thread (Beam's metrics are per thread).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared
from apache_beam.utils.windowed_value import WindowedValue

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.content import content_hash
from ecot_annotate.episode import AnnotatedEpisode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.stages import Step, build_stages, run_stage
from pipelines.quarantine import NAMESPACE, QUARANTINE, report, to_quarantine, with_quarantine


class _Built:
    """The process's stages and their thread pool, in a holder Beam's `Shared` can keep a weak
    reference to; the pool's threads end when the last StageFn lets go of it."""

    def __init__(self, stages: list, concurrency: int):
        self.stages, self.concurrency = stages, concurrency
        self.pool = ThreadPoolExecutor(self.concurrency) if self.concurrency > 1 else None


class _Tally:
    """Counters and stage timings from any thread, reported later from the bundle's thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.times: list[tuple[str, int]] = []

    def count(self, name: str, value: int = 1) -> None:
        with self.lock:
            self.counts[name] += value

    def time(self, stage: str, us: int) -> None:
        with self.lock:
            self.times.append((stage, us))

    def take(self) -> tuple[Counter[str], list[tuple[str, int]]]:
        with self.lock:
            taken = self.counts, self.times
            self.counts, self.times = Counter(), []
        return taken


_current = threading.local()  # the tally of the StageFn whose episode this thread is annotating


def _count(name: str, value: int = 1) -> None:
    """The stages' counter callback (stages are shared by every StageFn of the process)."""
    tally = getattr(_current, "tally", None)
    if tally is not None:
        tally.count(name, value)
    else:
        report(name, value)


class StageFn(beam.DoFn):
    def __init__(self, steps: tuple[Step, ...], config: AnnotateConfig):
        self.steps, self.config = steps, config
        self._shared = shared.Shared()
        self.timers = {s.name: Metrics.distribution(NAMESPACE, f"us_{s.name}") for s in steps}

    def setup(self):
        self.tally = _Tally()
        concurrency = max(step.concurrency for step in self.steps)
        names = ",".join(step.name for step in self.steps)
        self.built = self._shared.acquire(
            lambda: _Built(build_stages(self.steps, self.config, _count), concurrency),
            tag=f"{names}:{content_hash(self.config)}",
        )
        self.concurrency, self.pool = self.built.concurrency, self.built.pool
        self.pending: list[tuple[Future, Any, Any]] = []

    def _report(self) -> None:
        counts, times = self.tally.take()
        for name, value in counts.items():
            report(name, value)
        for stage, us in times:
            self.timers[stage].update(us)

    def _annotate(self, item: AnnotatedEpisode) -> Any:
        """The annotated episode, or its quarantine record (tagged); safe in any thread."""
        _current.tally = self.tally
        annotation = item.annotation
        for step, stage in zip(self.steps, self.built.stages, strict=True):
            start = time.perf_counter()
            try:
                annotation = run_stage(stage, item.episode, annotation)
            except EpisodeError as exc:
                return to_quarantine(exc.record(item.episode.key))
            self.tally.time(step.name, int(1e6 * (time.perf_counter() - start)))
        return AnnotatedEpisode(item.episode, annotation)

    def process(
        self,
        item: AnnotatedEpisode,
        timestamp=beam.DoFn.TimestampParam,
        window=beam.DoFn.WindowParam,
    ):
        if item.committed:
            yield item
        elif self.pool is None:
            yield self._annotate(item)
        else:
            self.pending.append((self.pool.submit(self._annotate, item), timestamp, window))
            if len(self.pending) >= self.concurrency:
                wait([f for f, _, _ in self.pending], return_when=FIRST_COMPLETED)
            yield from self._emit(done_only=True)
        self._report()

    def _emit(self, done_only: bool):
        """Finished episodes (all of them when not `done_only`) with their own window."""
        keep = []
        for future, timestamp, window in self.pending:
            if done_only and not future.done():
                keep.append((future, timestamp, window))
                continue
            out = future.result()
            if isinstance(out, beam.pvalue.TaggedOutput):
                yield beam.pvalue.TaggedOutput(
                    QUARANTINE, WindowedValue(out.value, timestamp, [window])
                )
            else:
                yield WindowedValue(out, timestamp, [window])
        self.pending = keep

    def finish_bundle(self):
        if self.pending:
            wait([f for f, _, _ in self.pending])
            yield from self._emit(done_only=False)
        self._report()


@beam.ptransform_fn
def RunStages(items, steps: tuple[Step, ...], config: AnnotateConfig):  # noqa: N802 - a transform
    """AnnotatedEpisodes -> (annotated by the per-episode steps, quarantine records)."""
    out = items | with_quarantine(StageFn(steps, config), "items")
    return out.items, out[QUARANTINE]
