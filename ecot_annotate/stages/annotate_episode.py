"""The per-episode stages in order, as one callable: what a Beam worker runs for each episode.

Model stages that batch frames across episodes (detector, segmenter) run before this in Beam and
hand their results in through the Annotation; everything here is per episode and needs no Beam.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import AnnotatedEpisode, Annotation, Episode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.reasoners.llm_usage import Count, no_count
from ecot_annotate.reasoners.rules import RuleReasoner
from ecot_annotate.stages.motion import primitives

StageTimer = Callable[[str, float], None]
NO_DETECTOR = "not tracked: no detector configured (--detector none)"


def _no_timer(stage: str, seconds: float) -> None:
    return None


def motion_stage(episode: Episode, annotation: Annotation, config: AnnotateConfig) -> Annotation:
    annotation.primitives = primitives(
        episode.xyz, episode.rotation, episode.gripper, config.motion
    )
    return annotation


def build_reasoner(config: AnnotateConfig, count: Count = no_count):
    """The reasoner named in the config (the LLM one imports its client only when asked for).

    `count(name, n)` receives the LLM reasoner's usage counters (requests, tokens, fallbacks).
    """
    if config.reasoner == "rules":
        return RuleReasoner()
    if config.reasoner == "llm":
        from ecot_annotate.reasoners.llm import LLMReasoner

        return LLMReasoner(config.llm, count)
    raise ValueError(f"unknown reasoner '{config.reasoner}' (rules, llm)")


def check_complete(annotated: AnnotatedEpisode) -> None:
    """Every step has all six fields before anything is written."""
    ep, ann = annotated.episode, annotated.annotation
    if len(ann.reasoning) != ep.n_steps or len(ann.primitives) != ep.n_steps:
        raise EpisodeError(
            "validate",
            f"{len(ann.reasoning)} reasoning steps and {len(ann.primitives)} primitives for {ep.n_steps} steps",
        )
    for t, step in enumerate(ann.reasoning):
        empty = [k for k, v in step.as_dict().items() if not v.strip()]
        if empty:
            raise EpisodeError("validate", f"step {t} has empty fields: {', '.join(empty)}")


class EpisodeAnnotator:
    """Motion -> reasoning -> validation for one episode; built once per worker."""

    def __init__(
        self, config: AnnotateConfig, timer: StageTimer = _no_timer, counter: Count = no_count
    ):
        self.config = config
        self.timer = timer
        self.reasoner = build_reasoner(config, counter)
        self.config_hash = config.content_hash()

    def __call__(self, episode: Episode, annotation: Annotation | None = None) -> AnnotatedEpisode:
        annotation = annotation or Annotation()
        annotation.provenance["config_hash"] = self.config_hash
        if self.config.perception.detector == "none" and annotation.gripper is None:
            annotation.gripper_reason = annotation.gripper_reason or NO_DETECTOR
        for name, stage in (("motion", motion_stage), ("reasoning", self._reason)):
            start = time.perf_counter()
            try:
                annotation = stage(episode, annotation, self.config)
            except EpisodeError:
                raise
            except Exception as exc:  # noqa: BLE001 - one bad episode must not stop the run
                raise EpisodeError(name, f"{type(exc).__name__}: {exc}") from exc
            self.timer(name, time.perf_counter() - start)
        annotated = AnnotatedEpisode(episode, annotation)
        check_complete(annotated)
        return annotated

    def _reason(
        self, episode: Episode, annotation: Annotation, config: AnnotateConfig
    ) -> Annotation:
        return self.reasoner.reason(episode, annotation)
