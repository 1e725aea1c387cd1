"""Perception in Beam: frames of many episodes batched through the detector and SAM by RunInference.

Episodes fan out into frames (decoded once), RunInference batches frames across episodes
(`--batch-size`) through a model handler that loads the detector and segmenter once per worker and
shares them between threads, and the results are grouped back by episode key, joined with the
episode and assembled into its Annotation (which may already hold a caption). Episodes committed
by an earlier run go around it (`resume.FreshOnly`). An episode with a bad frame, no vocabulary or a
frame the models fail on goes to quarantine with the reason; a failed batch is retried in halves,
so the other episodes of the batch are not lost with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import KeyedModelHandler, ModelHandler, RunInference

from ecot_annotate.backends.batch_retry import run_in_halves
from ecot_annotate.config import PerceptionConfig
from ecot_annotate.episode import AnnotatedEpisode
from ecot_annotate.errors import EpisodeError, quarantine_record
from ecot_annotate.stages.perception import (
    FramePerceiver,
    FrameResult,
    FrameTask,
    assemble,
    episode_frames,
)
from pipelines.quarantine import NAMESPACE, QUARANTINE, to_quarantine, with_quarantine


@dataclass(frozen=True)
class FrameFailure:
    """The result of a frame the detector or segmenter failed on even alone."""

    step: int
    reason: str


def _one_line(exc: Exception) -> str:
    text = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {text}"


class PerceptionModelHandler(ModelHandler[FrameTask, FrameResult, FramePerceiver]):
    """RunInference's seam: builds the FramePerceiver once per worker; batches of `batch_size` frames."""

    def __init__(self, config: PerceptionConfig):
        super().__init__()
        self.config = config

    def batch_elements_kwargs(self) -> dict[str, int]:
        """Batch sizes through this method, not the constructor: Beam before 2.70 has no
        batch-size arguments on ModelHandler.__init__."""
        return {"min_batch_size": 1, "max_batch_size": self.config.batch_size}

    def load_model(self) -> FramePerceiver:
        return FramePerceiver(self.config)

    def run_inference(
        self,
        batch: Sequence[FrameTask],
        model: FramePerceiver,
        inference_args: dict[str, Any] | None = None,
    ) -> Iterable[FrameResult | FrameFailure]:
        """A failing batch is retried in halves, so a frame the models fail on even alone fails
        only its own episode, not every episode that had a frame in the batch."""
        results = run_in_halves(list(batch), model)
        return [
            FrameFailure(frame.step, _one_line(r)) if isinstance(r, Exception) else r
            for frame, r in zip(batch, results, strict=True)
        ]

    def get_num_bytes(self, batch: Sequence[FrameTask]) -> int:
        return sum(frame.image.nbytes for frame in batch)

    def get_metrics_namespace(self) -> str:
        return "ecot_perception"


UNUSABLE = "unusable"  # (key, quarantine record) of an episode whose frames cannot be perceived


class FramesFn(beam.DoFn):
    """AnnotatedEpisode -> its frames keyed by episode key, itself on 'episodes', and on
    'unusable' the quarantine record of an episode with a frame that cannot be perceived."""

    def __init__(self, config: PerceptionConfig):
        self.config = config
        self.frames = Metrics.counter(NAMESPACE, "frames_perceived")

    def process(self, item: AnnotatedEpisode):
        episode = item.episode
        yield beam.pvalue.TaggedOutput("episodes", (episode.key, item))
        try:  # frames decoded one at a time: a long episode is never all pixels at once
            for frame in episode_frames(episode, self.config, item.annotation.caption):
                self.frames.inc()
                yield episode.key, frame
        except EpisodeError as exc:  # its frames already sent are wasted; the episode is not
            yield beam.pvalue.TaggedOutput(UNUSABLE, (episode.key, exc.record(episode.key)))


def failed_frames(
    failure: tuple[Sequence[tuple[str, FrameTask]], tuple[type, str, list[str]]],
) -> Iterable[tuple[str, str]]:
    """RunInference's dead letter -> (episode key, reason) per frame. Every Beam the range allows
    (2.60 on) sends the whole batch with (exception type, repr, formatted traceback); 2.78 also
    declares that type, so the hint must say it for the pipeline's type check to pass."""
    batch, (_type, error_repr, _traceback) = failure
    for key, frame in batch:
        yield key, f"step {frame.step}: {error_repr}"


class AssembleFn(beam.DoFn):
    """(key, {episodes, results, failed}) -> AnnotatedEpisode with perception; failures to quarantine."""

    def __init__(self, config: PerceptionConfig):
        self.config = config
        self.tracked = Metrics.counter(NAMESPACE, "episodes_gripper_tracked")
        self.untracked = Metrics.counter(NAMESPACE, "episodes_gripper_not_tracked")

    def process(self, item):
        key, grouped = item
        unusable = list(grouped[UNUSABLE])
        if unusable:
            yield to_quarantine(unusable[0])
            return
        results = list(grouped["results"])
        lost = [f"step {r.step}: {r.reason}" for r in results if isinstance(r, FrameFailure)]
        episodes, failed = list(grouped["episodes"]), sorted([*grouped["failed"], *lost])
        if not episodes:
            return
        item = episodes[0]
        if failed:
            reason = f"inference failed on {len(failed)} frame(s): {failed[0]}"
            yield to_quarantine(quarantine_record(key, "detect", reason))
            return
        try:
            annotation = assemble(item.episode, results, self.config, item.annotation)
        except EpisodeError as exc:
            yield to_quarantine(exc.record(key))
            return
        (self.tracked if annotation.gripper is not None else self.untracked).inc()
        yield AnnotatedEpisode(item.episode, annotation)


class Perceive(beam.PTransform):
    """PCollection[AnnotatedEpisode] -> (PCollection[AnnotatedEpisode], quarantine)."""

    def __init__(self, config: PerceptionConfig):
        super().__init__()
        self.config = config

    def expand(self, episodes):
        split = episodes | "Frames" >> beam.ParDo(FramesFn(self.config)).with_outputs(
            UNUSABLE, "episodes", main="frames"
        )
        inferred, dead = (
            split.frames
            | "Detect"
            >> RunInference(
                KeyedModelHandler(PerceptionModelHandler(self.config))
            ).with_exception_handling()
        )
        failed = dead.failed_inferences | "FailedFrames" >> beam.FlatMap(failed_frames)
        joined = {
            "episodes": split.episodes,
            "results": inferred,
            "failed": failed,
            UNUSABLE: split[UNUSABLE],
        } | "ByEpisode" >> beam.CoGroupByKey()
        assembled = joined | "Assemble" >> with_quarantine(AssembleFn(self.config), "perceived")
        return assembled.perceived, assembled[QUARANTINE]
