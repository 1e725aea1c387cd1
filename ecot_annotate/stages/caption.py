"""Stage: the scene caption of one episode, its first frame through the configured captioner.

One frame per episode is what ECoT captioned; the caption then feeds the detector's vocabulary
and the LLM reasoner's input, and is stored with the annotation (Parquet `caption`, ECoT JSON
`metadata.caption`). A caption that cannot be had quarantines the episode with the reason, since a
run that asked for captions must not silently write episodes without one.
"""

from __future__ import annotations

from ecot_annotate.backends.captioner import (
    build_captioner,
    captioner_concurrency,
    captioner_model,
)
from ecot_annotate.config import AnnotateConfig, LLMConfig, PerceptionConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.frames import FIRST_FRAME
from ecot_annotate.stages.base import Step, register_step, stage_step


def captioner_provenance(config: PerceptionConfig, llm: LLMConfig) -> str:
    """`backend:model`, as the Parquet `captioner` column shows it."""
    return f"{config.captioner}:{captioner_model(config, llm)}"


class CaptionStage:
    name = "caption"

    def __init__(self, config: AnnotateConfig, count: Count):
        self.perception, self.llm = config.perception, config.llm
        self.provenance = captioner_provenance(config.perception, config.llm)

    def setup(self) -> None:
        self.captioner = build_captioner(self.perception, self.llm)

    def run(self, episode: Episode, annotation: Annotation) -> Annotation:
        if not episode.images:
            raise EpisodeError("caption", "the episode has no frames to caption")
        text = " ".join(self.captioner.caption(episode.images[0]).split())
        if not text:
            raise EpisodeError("caption", "the captioner answered with an empty caption")
        annotation.caption = text
        annotation.provenance["captioner"] = self.provenance
        return annotation


@register_step("caption", before=("detect",))
def caption_step(config: AnnotateConfig) -> Step | None:
    if not config.perception.captions:
        return None
    return stage_step(
        "caption",
        CaptionStage,
        reads=("frames", "instruction"),
        writes=("caption",),
        frames=FIRST_FRAME,
        concurrency=captioner_concurrency(config.perception, config.llm),
    )
