"""Step: the six ECoT text fields of every step, from the reasoner named in the config.

One episode at a time, on as many threads as the LLM backend lets wait at once; or, where the
backend is batched (an embedded model), episodes in batches through one generate call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from ecot_annotate.backends.llm_weights import DEFAULT_NAME
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
    progress_label = "llm"  # a line every 30 s while the model loads and while a batch runs

    def __init__(self, config: AnnotateConfig, count: Count):
        self.config, self.count = config, count
        self.batch_size = config.llm.batch_size
        self.model_name = config.llm.model or DEFAULT_NAME

    def items(self, episode: Episode, annotation: Annotation) -> Iterator[tuple]:
        yield episode, annotation

    def label(self, item: tuple) -> str:
        return "the episode"

    def load(self) -> Callable[[list[tuple]], list[Annotation]]:
        from ecot_annotate.reasoners.llm import LLMReasoner

        reasoner = LLMReasoner(self.config.llm, self.count)

        def reason_batch(pairs: list[tuple]) -> list[Annotation]:
            """The batch's annotations; its time counted as the stage's (`llm_stage_ms`)."""
            start = time.perf_counter()
            try:
                return reasoner.reason_batch(pairs)
            finally:
                self.count("llm_stage_ms", int(1000 * (time.perf_counter() - start)))

        return reason_batch

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
