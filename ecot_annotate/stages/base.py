"""The one shape of a per-episode stage: `(Episode, Annotation) -> Annotation`, registered by name.

A stage is built from the run's config once per worker (`setup` loads what is slow to load) and
then called on many episodes. Whatever a stage raises becomes that episode's `EpisodeError`, named
after the stage, so one bad episode is quarantined and the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.registry import Registry


class Stage(Protocol):
    name: str

    def setup(self) -> None: ...

    def run(self, episode: Episode, annotation: Annotation) -> Annotation: ...


StageFactory = Callable[[AnnotateConfig, Count], Stage]
STAGES: Registry[StageFactory] = Registry("stage")


def run_stage(stage: Stage, episode: Episode, annotation: Annotation) -> Annotation:
    """`stage.run`, with any failure turned into this episode's quarantine reason."""
    try:
        return stage.run(episode, annotation)
    except EpisodeError:
        raise
    except Exception as exc:  # one bad episode must not stop the run
        raise EpisodeError(stage.name, f"{type(exc).__name__}: {exc}") from exc
