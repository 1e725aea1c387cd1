"""A batched LLM backend in Beam (the embedded model, `--llm-backend transformers`): episodes
go through RunInference.

Like the detector, the model loads once per worker in a model handler, and RunInference batches
episodes (`--llm-batch-size`) so one generate call answers several of them. Episodes committed by
an earlier run go around it (`resume.FreshOnly`). Failures never raise out of a batch: the reasoner falls back to the
rules per episode and says why in the provenance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import ModelHandler, RunInference

from ecot_annotate.config import LLMConfig
from ecot_annotate.episode import AnnotatedEpisode
from pipelines.quarantine import NAMESPACE


def _count(name: str, value: int = 1) -> None:
    Metrics.counter(NAMESPACE, name).inc(value)


class LLMModelHandler(ModelHandler[AnnotatedEpisode, AnnotatedEpisode, Any]):
    """RunInference's seam: the LLM reasoner with its embedded model, built once per worker."""

    def __init__(self, config: LLMConfig):
        super().__init__()
        self.config = config

    def batch_elements_kwargs(self) -> dict[str, int]:
        """Batch sizes through this method, not the constructor: Beam before 2.70 has no
        batch-size arguments on ModelHandler.__init__."""
        return {"min_batch_size": 1, "max_batch_size": self.config.batch_size}

    def load_model(self):
        from ecot_annotate.reasoners.llm import LLMReasoner

        return LLMReasoner(self.config, _count)

    def run_inference(
        self,
        batch: Sequence[AnnotatedEpisode],
        model: Any,
        inference_args: dict[str, Any] | None = None,
    ) -> Iterable[AnnotatedEpisode]:
        annotations = model.reason_batch([(item.episode, item.annotation) for item in batch])
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

    def __init__(self, config: LLMConfig):
        super().__init__()
        self.config = config

    def expand(self, items):
        return items | "Reason" >> RunInference(LLMModelHandler(self.config))
