"""Captioning in Beam: each episode's first frame through the captioner, before perception.

The captioner (a transformers model or an OpenAI-compatible client) is built once per worker
process and shared between its threads (Beam's `Shared`). Each episode leaves as
(episode, Annotation holding its caption), the pre-filled annotation the later stages extend; an
episode whose caption cannot be had goes to quarantine with the reason.
"""

from __future__ import annotations

import time

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared

from ecot_annotate.config import LLMConfig, PerceptionConfig
from ecot_annotate.errors import EpisodeError
from ecot_annotate.stages.caption import caption_episode, captioner_provenance

QUARANTINE = "quarantine"
NAMESPACE = "ecot"


class CaptionFn(beam.DoFn):
    """Episode -> (episode, Annotation with its caption); failures to the quarantine output."""

    def __init__(self, perception: PerceptionConfig, llm: LLMConfig):
        self.perception, self.llm = perception, llm
        self.provenance = captioner_provenance(perception, llm)
        self._shared = shared.Shared()
        self.captioned = Metrics.counter(NAMESPACE, "episodes_captioned")
        self.us = Metrics.distribution(NAMESPACE, "us_caption")

    def setup(self):
        from ecot_annotate.backends.captioner import build_captioner

        self.captioner = self._shared.acquire(
            lambda: build_captioner(self.perception, self.llm), tag=self.provenance
        )

    def process(self, episode):
        start = time.perf_counter()
        try:
            annotation = caption_episode(episode, self.captioner, self.provenance)
        except EpisodeError as exc:
            yield beam.pvalue.TaggedOutput(
                QUARANTINE,
                {
                    "key": episode.key,
                    "stage": exc.stage,
                    "error": exc.reason,
                    "source": episode.key,
                },
            )
            return
        self.us.update(int(1e6 * (time.perf_counter() - start)))
        self.captioned.inc()
        yield episode, annotation


class Caption(beam.PTransform):
    """PCollection[Episode] -> (PCollection[(Episode, Annotation)], PCollection[quarantine record])."""

    def __init__(self, perception: PerceptionConfig, llm: LLMConfig):
        super().__init__()
        self.perception, self.llm = perception, llm

    def expand(self, episodes):
        out = episodes | "CaptionFirstFrame" >> beam.ParDo(
            CaptionFn(self.perception, self.llm)
        ).with_outputs(QUARANTINE, main="captioned")
        return out.captioned, out[QUARANTINE]
