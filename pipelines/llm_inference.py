"""A batched LLM backend in Beam (the embedded model, `--llm-backend transformers`): episodes
go through RunInference.

Like the detector, the model loads once per worker in a model handler, and RunInference batches
episodes so one generate call answers several of them: batches of `--llm-batch-size` (Beam's
adaptive batching would start at one episode and grow only as timings come in, which a stage of a
few long batches never gives it; the last batch of a bundle is what is left). Episodes committed
by an earlier run go around it (`resume.FreshOnly`). Failures never raise out of a batch: the
reasoner falls back to the rules per episode and says why in the provenance. While a batch runs,
its progress (episodes, tokens/s, ETA) is logged every 30 s, or drawn as a bar on a terminal; the
time inside batches is counted (`llm_stage_ms`) for summary.json's breakdown.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import ModelHandler, RunInference

from ecot_annotate.backends.llm_weights import DEFAULT_NAME
from ecot_annotate.config import LLMConfig
from ecot_annotate.episode import AnnotatedEpisode
from ecot_annotate.progress import BatchProgress
from pipelines.quarantine import NAMESPACE


def _count(name: str, value: int = 1) -> None:
    Metrics.counter(NAMESPACE, name).inc(value)


@dataclass
class _Loaded:
    """What a worker loads once: the reasoner with its model, and the stage's progress."""

    reasoner: Any
    progress: BatchProgress


class LLMModelHandler(ModelHandler[AnnotatedEpisode, AnnotatedEpisode, Any]):
    """RunInference's seam: the LLM reasoner with its embedded model, built once per worker."""

    def __init__(self, config: LLMConfig, total: int | None = None, bar: bool = False):
        size = max(1, config.batch_size)
        super().__init__(min_batch_size=size, max_batch_size=size)
        self.config, self.total, self.bar = config, total, bar

    def load_model(self):
        from ecot_annotate.reasoners.llm import LLMReasoner

        progress = BatchProgress("llm", self.total, bar=self.bar)
        progress.begin_loading(self.config.model or DEFAULT_NAME)

        def count(name: str, value: int = 1) -> None:
            _count(name, value)
            progress.observe(name, value)

        return _Loaded(LLMReasoner(self.config, count), progress)

    def run_inference(
        self,
        batch: Sequence[AnnotatedEpisode],
        model: Any,
        inference_args: dict[str, Any] | None = None,
    ) -> Iterable[AnnotatedEpisode]:
        start = time.perf_counter()
        model.progress.begin(len(batch))
        try:
            annotations = model.reasoner.reason_batch(
                [(item.episode, item.annotation) for item in batch]
            )
        finally:
            model.progress.end()
            _count("llm_stage_ms", int(1000 * (time.perf_counter() - start)))
        return [
            AnnotatedEpisode(item.episode, annotation)
            for item, annotation in zip(batch, annotations, strict=True)
        ]

    def get_num_bytes(self, batch: Sequence[AnnotatedEpisode]) -> int:
        return sum(item.episode.n_steps for item in batch)

    def get_metrics_namespace(self) -> str:
        return "ecot_llm"


class EmbeddedReasoning(beam.PTransform):
    """AnnotatedEpisodes with primitives -> the same with reasoning, from the embedded LLM."""

    def __init__(self, config: LLMConfig, total: int | None = None, bar: bool = False):
        super().__init__()
        self.config, self.total, self.bar = config, total, bar

    def expand(self, items):
        return items | "Reason" >> RunInference(LLMModelHandler(self.config, self.total, self.bar))
