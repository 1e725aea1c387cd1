"""The steps of a run, registered by name on import with their place in the order.

`steps(config)` lists what a config runs, in order (stages/base.py says what a step declares);
`annotate` runs them on one episode without Beam.
"""

from __future__ import annotations

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count, no_count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.stages import (
    caption,
    motion,
    perception,
    reasoning,
    subtasks,
    tracks,
    validate,
)
from ecot_annotate.stages.base import (
    STEPS,
    BatchedStage,
    Stage,
    Step,
    Work,
    register_step,
    run_stage,
    stage_step,
    steps,
)

__all__ = [
    "STEPS",
    "BatchedStage",
    "Stage",
    "Step",
    "Work",
    "annotate",
    "build_stages",
    "register_step",
    "run_stage",
    "stage_step",
    "steps",
    "caption",
    "motion",
    "perception",
    "reasoning",
    "subtasks",
    "tracks",
    "validate",
]


def build_stages(
    planned: tuple[Step, ...], config: AnnotateConfig, count: Count = no_count
) -> list:
    """The per-episode steps built and set up (models loaded), in order."""
    built = [step.build(config, count) for step in planned]
    for stage in built:
        stage.setup()
    return built


def run_batched(stage: BatchedStage, model, episode: Episode, annotation: Annotation) -> Annotation:
    """A batched step on one episode alone: its items as one batch."""
    items = list(stage.items(episode, annotation))
    results = model(items) if items else []
    failed = [(item, r) for item, r in zip(items, results, strict=True) if isinstance(r, Exception)]
    if failed:
        item, exc = failed[0]
        raise EpisodeError(
            stage.name,
            f"inference failed on {len(failed)} {stage.unit}(s): {stage.label(item)}: "
            f"{type(exc).__name__}: {exc}",
        )
    return stage.assemble(episode, annotation, results)


def annotate(
    config: AnnotateConfig, episode: Episode, annotation: Annotation | None = None
) -> Annotation:
    """Every step of `config` on one episode, without Beam."""
    annotation = annotation or Annotation()
    for step in steps(config):
        built = step.build(config, no_count)
        if step.work is Work.BATCH:
            annotation = run_batched(built, built.load(), episode, annotation)
        else:
            built.setup()
            annotation = run_stage(built, episode, annotation)
    return annotation
