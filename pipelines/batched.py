"""A batched step in Beam: items of many episodes through one model call, by RunInference.

Every batched step (`stages.base.BatchedStage`: the detector over frames, an embedded LLM over
episodes) runs here the same way. Its model loads once per worker in a model handler and is shared
between threads; RunInference batches items (`batch_size`); a failing batch is retried in halves,
so one bad item fails only its own episode. Where an episode's items may fall into several batches
(`spans_batches`: frames), episodes fan out into items keyed by episode, and the results are
grouped back by key and joined with the episode; otherwise (one item per episode) the episodes
themselves are batched and nothing is regrouped. Episodes committed by an earlier run go around it
(`resume.FreshOnly`); an episode a step fails on goes to quarantine with the step's name and reason.
A step whose batches take long (the embedded LLM) names a `progress_label`: its progress is logged
every 30 s while its model loads and while a batch runs (`progress.BatchProgress`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import KeyedModelHandler, ModelHandler, RunInference

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import AnnotatedEpisode
from ecot_annotate.errors import EpisodeError, quarantine_record
from ecot_annotate.progress import BatchProgress
from ecot_annotate.stages import Step
from pipelines.quarantine import NAMESPACE, QUARANTINE, report, to_quarantine, with_quarantine


def _one_line(exc: BaseException | str) -> str:
    if isinstance(exc, str):
        return exc.strip().splitlines()[0][:300] if exc.strip() else ""
    text = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {text}"


def _failure(stage, failed: list[tuple[Any, str]]) -> str:
    """The quarantine reason of an episode with items the model failed on, even alone."""
    item, reason = failed[0]
    return f"inference failed on {len(failed)} {stage.unit}(s): {stage.label(item)}: {reason}"


class _Handler(ModelHandler):
    """RunInference's seam for any batched step: the step's model, built once per worker."""

    def __init__(
        self, step: Step, config: AnnotateConfig, total: int | None = None, bar: bool = False
    ):
        self.step, self.config, self.total, self.bar = step, config, total, bar
        self.stage = step.build(config, report)
        super().__init__()
        self.timer = Metrics.distribution(NAMESPACE, f"us_{step.name}")

    def batch_elements_kwargs(self) -> dict[str, int]:
        """Batch sizes through this method, not the constructor: Beam before 2.70 has no
        batch-size arguments on ModelHandler.__init__. Full batches: Beam's adaptive batching
        starts at one item and grows only as timings come in, which a step of a few long batches
        (an embedded LLM) never gives it; the last batch of a bundle is what is left."""
        return {"min_batch_size": self.stage.batch_size, "max_batch_size": self.stage.batch_size}

    def load_model(self):
        """The step's model; for a step that asks for progress lines (`progress_label`), wrapped
        so they come while it loads and while each batch runs."""
        label = getattr(self.stage, "progress_label", None)
        if label is None:
            return self.step.build(self.config, report).load()
        progress = BatchProgress(label, self.total, bar=self.bar)
        progress.begin_loading(self.stage.model_name)

        def count(name: str, value: int = 1) -> None:
            report(name, value)
            progress.observe(name, value)

        model = self.step.build(self.config, count).load()
        progress.end_loading()
        return _Watched(model, progress)

    def _timed(self, model, items: list) -> list:
        start = time.perf_counter()
        results = model(items)
        self.timer.update(int(1e6 * (time.perf_counter() - start)))
        return results

    def get_num_bytes(self, batch: Sequence[Any]) -> int:
        return len(batch)

    def get_metrics_namespace(self) -> str:
        return f"ecot_{self.step.name}"


class _Watched:
    """A model whose batches report to a BatchProgress (episodes per batch: one item each)."""

    def __init__(self, model, progress: BatchProgress):
        self.model, self.progress = model, progress

    def __call__(self, items: list) -> list:
        self.progress.begin(len(items))
        try:
            return self.model(items)
        finally:
            self.progress.end()


class ItemHandler(_Handler):
    """Items of any episodes in one batch -> one result per item (an exception for a failed one)."""

    def run_inference(self, batch: Sequence[Any], model, inference_args=None) -> Iterable[Any]:
        return self._timed(model, list(batch))


class EpisodeHandler(_Handler):
    """Whole episodes in one batch: each episode's items, then its assembled annotation back, or
    the quarantine record of why it has none."""

    def run_inference(
        self, batch: Sequence[AnnotatedEpisode], model, inference_args=None
    ) -> Iterable[Any]:
        stage = self.stage
        items, owners, out = [], [], list(batch)
        for i, item in enumerate(batch):
            try:
                mine = list(stage.items(item.episode, item.annotation))
            except EpisodeError as exc:
                out[i] = exc.record(item.episode.key)
                continue
            items += mine
            owners += [i] * len(mine)
        results = self._timed(model, items) if items else []
        for i, item in enumerate(batch):
            if not isinstance(out[i], AnnotatedEpisode):
                continue
            mine = [(it, r) for it, r, o in zip(items, results, owners, strict=True) if o == i]
            failed = [(it, _one_line(r)) for it, r in mine if isinstance(r, Exception)]
            key = item.episode.key
            if failed:
                out[i] = quarantine_record(key, stage.name, _failure(stage, failed))
                continue
            try:
                annotation = stage.assemble(item.episode, item.annotation, [r for _, r in mine])
            except EpisodeError as exc:
                out[i] = exc.record(key)
                continue
            out[i] = AnnotatedEpisode(item.episode, annotation)
        return out


class _Split(beam.DoFn):
    """The quarantine records among EpisodeHandler's results -> the quarantine output."""

    def process(self, item):
        yield item if isinstance(item, AnnotatedEpisode) else to_quarantine(item)


UNUSABLE = "unusable"  # (key, quarantine record) of an episode whose items cannot be made


class ItemsFn(beam.DoFn):
    """AnnotatedEpisode -> its items keyed by episode key, itself on 'episodes', and on
    'unusable' the quarantine record of an episode whose items cannot be made."""

    def __init__(self, step: Step, config: AnnotateConfig):
        self.step, self.config = step, config

    def setup(self):
        self.stage = self.step.build(self.config, report)

    def process(self, item: AnnotatedEpisode):
        episode = item.episode
        yield beam.pvalue.TaggedOutput("episodes", (episode.key, item))
        try:  # items made one at a time: a long episode is never all pixels at once
            for index, task in enumerate(self.stage.items(episode, item.annotation)):
                yield episode.key, (index, task)
        except EpisodeError as exc:  # its items already sent are wasted; the episode is not
            yield beam.pvalue.TaggedOutput(UNUSABLE, (episode.key, exc.record(episode.key)))


def failed_items(
    failure: tuple[Sequence[tuple[str, Any]], tuple[type, str, list[str]]],
) -> Iterable[tuple[str, tuple[Any, str]]]:
    """RunInference's dead letter -> (episode key, (index, item, reason)) per item. Every Beam the
    range allows (2.60 on) sends the whole batch with (exception type, repr, formatted traceback);
    2.78 also declares that type, so the hint must say it for the pipeline's type check to pass."""
    batch, (_type, error_repr, _traceback) = failure
    for key, (index, task) in batch:
        yield key, (index, task, error_repr)


class AssembleFn(beam.DoFn):
    """(key, {episodes, results, failed}) -> AnnotatedEpisode; failures to quarantine."""

    def __init__(self, step: Step, config: AnnotateConfig):
        self.step, self.config = step, config

    def setup(self):
        self.stage = self.step.build(self.config, report)

    def process(self, item):
        key, grouped = item
        unusable = list(grouped[UNUSABLE])
        if unusable:
            yield to_quarantine(unusable[0])
            return
        episodes = list(grouped["episodes"])
        if not episodes:
            return
        results = sorted(grouped["results"], key=lambda r: r[0])
        lost = [(i, task, _one_line(r)) for i, task, r in results if isinstance(r, Exception)]
        failed = sorted([*grouped["failed"], *lost], key=lambda f: f[0])
        if failed:
            reason = _failure(self.stage, [(task, why) for _, task, why in failed])
            yield to_quarantine(quarantine_record(key, self.step.name, reason))
            return
        item = episodes[0]
        try:
            ordered = [r for _, _, r in results]
            annotation = self.stage.assemble(item.episode, item.annotation, ordered)
        except EpisodeError as exc:
            yield to_quarantine(exc.record(key))
            return
        yield AnnotatedEpisode(item.episode, annotation)


class _Paired(ModelHandler):
    """An ItemHandler over (index, item) whose results keep both: (index, item, result), so they
    go back into their episode's order after grouping."""

    def __init__(self, inner: ItemHandler):
        super().__init__()
        self.inner = inner

    def batch_elements_kwargs(self) -> dict[str, int]:
        return self.inner.batch_elements_kwargs()

    def load_model(self):
        return self.inner.load_model()

    def run_inference(self, batch, model, inference_args=None):
        results = self.inner.run_inference([task for _, task in batch], model, inference_args)
        return [(i, task, r) for (i, task), r in zip(batch, results, strict=True)]

    def get_num_bytes(self, batch) -> int:
        return len(batch)

    def get_metrics_namespace(self) -> str:
        return self.inner.get_metrics_namespace()


class Batched(beam.PTransform):
    """PCollection[AnnotatedEpisode] -> (PCollection[AnnotatedEpisode], quarantine); `total`
    episodes in the run and a `bar` on a terminal, for a step's progress lines."""

    def __init__(
        self, step: Step, config: AnnotateConfig, total: int | None = None, bar: bool = False
    ):
        super().__init__()
        self.step, self.config, self.total, self.bar = step, config, total, bar

    def expand(self, episodes):
        handler = ItemHandler(self.step, self.config)
        if not handler.stage.spans_batches:
            out = (
                episodes
                | "Infer"
                >> RunInference(EpisodeHandler(self.step, self.config, self.total, self.bar))
                | "Split" >> with_quarantine(_Split(), "items")
            )
            return out.items, out[QUARANTINE]
        split = episodes | "Items" >> beam.ParDo(ItemsFn(self.step, self.config)).with_outputs(
            UNUSABLE, "episodes", main="items"
        )
        inferred, dead = (
            split.items
            | "Infer" >> RunInference(KeyedModelHandler(_Paired(handler))).with_exception_handling()
        )
        failed = dead.failed_inferences | "FailedItems" >> beam.FlatMap(failed_items)
        joined = {
            "episodes": split.episodes,
            "results": inferred,
            "failed": failed,
            UNUSABLE: split[UNUSABLE],
        } | "ByEpisode" >> beam.CoGroupByKey()
        assembled = joined | "Assemble" >> with_quarantine(
            AssembleFn(self.step, self.config), "assembled"
        )
        return assembled.assembled, assembled[QUARANTINE]
