"""Per-episode stages, each `(Episode, Annotation) -> Annotation`, registered by name on import.

`plan` says which stages a config runs and in what order; the frame-batched perception (detector
and segmenter across episodes) runs between the two groups.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count, no_count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.stages import caption, motion, reasoning, subtasks, tracks, validate
from ecot_annotate.stages.base import STAGES, Stage, run_stage

__all__ = [
    "STAGES",
    "Stage",
    "StagePlan",
    "annotate",
    "build_stages",
    "plan",
    "without_frames",
    "run_stage",
    "caption",
    "motion",
    "reasoning",
    "subtasks",
    "tracks",
    "validate",
]


@dataclass(frozen=True)
class StagePlan:
    before_perception: tuple[str, ...]
    perception: bool
    after_perception: tuple[str, ...]


def plan(config: AnnotateConfig) -> StagePlan:
    return StagePlan(
        before_perception=("caption",) if config.perception.captioner != "none" else (),
        perception=config.perception.detector != "none",
        after_perception=(
            *(
                ("tracks",)
                if config.perception.detector != "none" and config.perception.tracks
                else ()
            ),
            "motion",
            "subtasks",
            "reasoning",
            "validate",
        ),
    )


def without_frames(config: AnnotateConfig) -> tuple[AnnotateConfig, str | None]:
    """With no camera the detector and captioner have nothing to look at: the config without
    them, and one line saying they are skipped (None when none was asked for)."""
    p = config.perception
    asked = [
        name
        for name, value in (("detector", p.detector), ("captioner", p.captioner))
        if value != "none"
    ]
    if not asked:
        return config, None
    frameless = replace(p, detector="none", captioner="none")
    return replace(config, perception=frameless), (
        f"no camera: the {' and '.join(asked)} are skipped (they need frames)"
        if len(asked) > 1
        else f"no camera: the {asked[0]} is skipped (it needs frames)"
    )


def build_stages(
    names: tuple[str, ...], config: AnnotateConfig, count: Count = no_count
) -> list[Stage]:
    """The named stages, built and set up (models loaded) in order."""
    stages = [STAGES.get(name)(config, count) for name in names]
    for stage in stages:
        stage.setup()
    return stages


def annotate(
    config: AnnotateConfig, episode: Episode, annotation: Annotation | None = None
) -> Annotation:
    """Every per-episode stage of `config` on one episode, without Beam (perception excluded)."""
    steps = plan(config)
    annotation = annotation or Annotation()
    for stage in build_stages(steps.before_perception + steps.after_perception, config):
        annotation = run_stage(stage, episode, annotation)
    return annotation
