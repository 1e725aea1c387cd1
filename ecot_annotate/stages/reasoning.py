"""Stage: the six ECoT text fields of every step, from the reasoner named in the config."""

from __future__ import annotations

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.reasoners import REASONERS
from ecot_annotate.stages.base import STAGES


@STAGES.register("reasoning")
class ReasoningStage:
    name = "reasoning"

    def __init__(self, config: AnnotateConfig, count: Count):
        self.config, self.count = config, count
        self.kind = REASONERS.get(config.reasoner)
        self.concurrency = 1  # episodes in flight per worker; an LLM backend may allow more
        if self.kind.uses_llm:
            from ecot_annotate.backends.llm_backends import LLM_BACKENDS

            self.concurrency = LLM_BACKENDS.get(config.llm.backend).concurrency(config.llm)

    def setup(self) -> None:
        self.reasoner = self.kind.build(self.config.llm, self.count)

    def run(self, episode: Episode, annotation: Annotation) -> Annotation:
        return self.reasoner.reason(episode, annotation)
