"""Step: the six ECoT text fields of every step, from the reasoner named in the config.

One episode at a time, on as many threads as the LLM backend lets wait at once; or, where the
backend is batched (an embedded model), episodes in batches through one generate call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.reasoners import REASONERS
from ecot_annotate.stages.base import Step, Work, register_step, stage_step

READS = ("instruction", "state", "arm_primitives", "caption", "bboxes")
WRITES = ("reasoning", "provenance")


class ReasoningStage:
    name = "reasoning"

    def __init__(self, config: AnnotateConfig, count: Count):
        self.config, self.count = config, count

    def setup(self) -> None:
        self.reasoner = REASONERS.get(self.config.reasoner).build(self.config.llm, self.count)

    def run(self, episode: Episode, annotation: Annotation) -> Annotation:
        return self.reasoner.reason(episode, annotation)


class BatchedReasoning:
    """The LLM reasoner with a batched backend: each episode is one item, a batch one generate
    call (`LLMReasoner.reason_batch`), which never raises for one episode (it falls back)."""

    name = "reasoning"
    spans_batches = False
    unit = "episode"

    def __init__(self, config: AnnotateConfig, count: Count):
        self.config, self.count = config, count
        self.batch_size = config.llm.batch_size

    def items(self, episode: Episode, annotation: Annotation) -> Iterator[tuple]:
        yield episode, annotation

    def label(self, item: tuple) -> str:
        return "the episode"

    def load(self) -> Callable[[list[tuple]], list[Annotation]]:
        from ecot_annotate.reasoners.llm import LLMReasoner

        return LLMReasoner(self.config.llm, self.count).reason_batch

    def assemble(
        self, episode: Episode, annotation: Annotation, results: list[Annotation]
    ) -> Annotation:
        return results[0]


@register_step("reasoning", after=("motion",))
def reasoning_step(config: AnnotateConfig) -> Step:
    if REASONERS.get(config.reasoner).uses_llm:
        from ecot_annotate.backends.llm_backends import LLM_BACKENDS

        backend = LLM_BACKENDS.get(config.llm.backend)
        if backend.batched:
            return Step("reasoning", Work.BATCH, BatchedReasoning, READS, WRITES)
        return stage_step(
            "reasoning", ReasoningStage, READS, WRITES, concurrency=backend.concurrency(config.llm)
        )
    return stage_step("reasoning", ReasoningStage, READS, WRITES)
