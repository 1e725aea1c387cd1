"""The steps of a run: each registers itself with its place in the order and says what it is.

A step works on one episode at a time (a `Stage`: `(Episode, Annotation) -> Annotation`, built once
per worker, `setup` loading what is slow to load), or on items of many episodes at once through
one model call (a `BatchedStage`: frames through a detector, episodes through an embedded LLM; in
Beam, RunInference). It registers a plan function, `config -> Step | None` (None: this config does
not run it), with the steps it comes `after` and `before`; `steps(config)` orders what a config
runs. A `Step` declares its shape as data: the work, how many episodes may be in flight on one
worker (`concurrency`), what it reads (`frames` included, so the source decodes only those) and
what it writes. Whatever a stage raises becomes that episode's `EpisodeError`, named after the
step, so one bad episode is quarantined and the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from graphlib import CycleError, TopologicalSorter
from typing import Any, Protocol

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.frames import NO_FRAMES, Frames
from ecot_annotate.registry import Registry


class Stage(Protocol):
    """A per-episode step, built as `Cls(config, count)` once per worker."""

    name: str

    def setup(self) -> None: ...

    def run(self, episode: Episode, annotation: Annotation) -> Annotation: ...


class BatchedStage(Protocol):
    """A step whose model answers items of many episodes in one call, built as `Cls(config, count)`.

    `items` turns an episode into what the model takes (its frames, or the episode itself);
    `load` builds the model once per worker, a callable from a batch of items to one result per
    item (an Exception for an item it failed on, alone); `assemble` puts an episode's results, in
    the order of its items, into its annotation.
    """

    name: str
    batch_size: int  # items per model call
    spans_batches: bool  # an episode's items may fall into several batches (frames): regrouped
    unit: str  # what an item is, for messages: "frame"

    def items(self, episode: Episode, annotation: Annotation) -> Iterator[Any]: ...

    def label(self, item: Any) -> str:
        """Where in its episode an item is, for messages: "step 12"."""
        ...

    def load(self) -> Callable[[list[Any]], list[Any]]: ...

    def assemble(
        self, episode: Episode, annotation: Annotation, results: list[Any]
    ) -> Annotation: ...


class Work(Enum):
    EPISODE = "episode"  # a Stage: one episode at a time
    BATCH = "batch"  # a BatchedStage: items of many episodes per model call


@dataclass(frozen=True)
class Step:
    """One planned step: how it works, and what it reads and writes."""

    name: str
    work: Work
    build: Callable[[AnnotateConfig, Count], Any]  # -> Stage (EPISODE) or BatchedStage (BATCH)
    reads: tuple[str, ...] = ()  # parts of the episode and annotation it reads
    writes: tuple[str, ...] = ()  # parts of the annotation it writes
    frames: Frames = NO_FRAMES  # the frames it looks at
    concurrency: int = 1  # episodes in flight per worker (a stage that waits on a server: more)


@dataclass(frozen=True)
class StepKind:
    """What registers: the step a config runs, and its place in the order."""

    name: str
    plan: Callable[[AnnotateConfig], Step | None]
    after: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    index: int = field(default=0, compare=False)  # registration order: ties keep it


STEPS: Registry[StepKind] = Registry("step")


def register_step(
    name: str, after: tuple[str, ...] = (), before: tuple[str, ...] = ()
) -> Callable[[Callable[[AnnotateConfig], Step | None]], Callable[[AnnotateConfig], Step | None]]:
    """Register `plan` (config -> the Step it runs, or None) as step `name`, placed after and
    before the named steps (names no registered step has are ignored)."""

    def register(plan: Callable[[AnnotateConfig], Step | None]):
        STEPS.register(name)(StepKind(name, plan, tuple(after), tuple(before), len(STEPS.names())))
        return plan

    return register


def stage_step(
    name: str,
    cls: Callable[[AnnotateConfig, Count], Stage],
    reads: tuple[str, ...] = (),
    writes: tuple[str, ...] = (),
    frames: Frames = NO_FRAMES,
    concurrency: int = 1,
) -> Step:
    """A per-episode Step."""
    return Step(name, Work.EPISODE, cls, reads, writes, frames, concurrency)


def step_order() -> list[str]:
    """Every registered step's name in run order: each after the steps it names as before it."""
    kinds = {name: STEPS.get(name) for name in STEPS.names()}
    graph: dict[str, set[str]] = {name: set() for name in kinds}
    for name, kind in kinds.items():
        graph[name].update(a for a in kind.after if a in kinds)
        for later in kind.before:
            if later in kinds:
                graph[later].add(name)
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError as exc:
        raise ValueError(f"steps ordered in a circle: {' -> '.join(exc.args[1])}") from None
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda n: kinds[n].index)
        order.extend(ready)
        sorter.done(*ready)
    return order


def steps(config: AnnotateConfig) -> tuple[Step, ...]:
    """The steps `config` runs, in order."""
    planned = (STEPS.get(name).plan(config) for name in step_order())
    return tuple(step for step in planned if step is not None)


def run_stage(stage: Stage, episode: Episode, annotation: Annotation) -> Annotation:
    """`stage.run`, with any failure turned into this episode's quarantine reason."""
    try:
        return stage.run(episode, annotation)
    except EpisodeError:
        raise
    except Exception as exc:  # one bad episode must not stop the run
        raise EpisodeError(stage.name, f"{type(exc).__name__}: {exc}") from exc
