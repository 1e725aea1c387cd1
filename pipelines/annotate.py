"""The annotation pipeline: RLDS shards -> episodes -> stages -> Parquet / ECoT JSON / quarantine.

Only orchestration lives here. Every DoFn builds what it needs in `setup()` (models, clients), holds
no global state and pickles, so the same graph runs on DirectRunner, Dataflow, Flink or Spark.
"""

from __future__ import annotations

import json
import time
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import AnnotatedEpisode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.manifest import Manifest
from ecot_annotate.profiles import load_profile
from ecot_annotate.schema import load_schema
from ecot_annotate.sinks.ecot_json import entry_line
from ecot_annotate.sinks.parquet import step_rows
from ecot_annotate.sources.rlds import EpisodeDecoder, RldsDataset, Shard, index_shard
from ecot_annotate.sources.tfrecord_file import RecordRef, read_record_at
from pipelines.formats import write_lerobot_parts, write_rlds
from pipelines.resume import TODO, CommitFn, ResumeFn, committed_annotation

QUARANTINE = "quarantine"
NAMESPACE = "ecot"
# Bounds the Parquet writer's memory; Beam's defaults (64 MiB, 1000 rows) hold ~60 episodes.
PARQUET_ROW_GROUP_BYTES = 1024 * 1024
PARQUET_BATCH_ROWS = 50  # rows held as Python objects before Arrow takes them


def quarantine_record(key: str, stage: str, error: str, source: str) -> dict[str, str]:
    return {"key": key, "stage": stage, "error": error, "source": source}


class ReadShardFn(beam.DoFn):
    """Index a shard's records (headers only): references, not data, cross the fan-out, so no
    runner ever holds the dataset in memory. A broken header goes to quarantine."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self.records = Metrics.counter(NAMESPACE, "episodes_in")

    def process(self, shard: Shard):
        for ref in index_shard(shard):
            if self.limit is not None and (shard.first_index or 0) + ref.position >= self.limit:
                return
            self.records.inc()
            if isinstance(ref, RecordRef):
                yield shard, ref
            else:
                where = f"{shard.path}:{ref.position}"
                yield beam.pvalue.TaggedOutput(
                    QUARANTINE, quarantine_record(where, "read", ref.error or "unreadable", where)
                )


class DecodeFn(beam.DoFn):
    def __init__(self, dataset: RldsDataset, config: AnnotateConfig):
        self.dataset, self.profile = dataset, load_profile(config.profile)
        self.steps_in = Metrics.counter(NAMESPACE, "steps_in")
        self.us = Metrics.distribution(NAMESPACE, "us_decode")

    def setup(self):
        self.decoder = EpisodeDecoder(self.dataset, self.profile)
        self.handle, self.handle_path = None, None

    def _read(self, shard: Shard, ref: RecordRef) -> tuple[bytes | None, str | None]:
        if self.handle_path != shard.path:  # records of one shard mostly arrive together
            self.teardown()
            from apache_beam.io.filesystems import FileSystems

            self.handle, self.handle_path = FileSystems.open(shard.path), shard.path
        return read_record_at(self.handle, ref)

    def teardown(self):
        if getattr(self, "handle", None) is not None:
            self.handle.close()
            self.handle, self.handle_path = None, None

    def process(self, item: tuple[Shard, RecordRef]):
        shard, ref = item
        pos = ref.position
        where = f"{shard.path}:{pos}"
        start = time.perf_counter()
        data, error = self._read(shard, ref)
        if data is None:
            yield beam.pvalue.TaggedOutput(
                QUARANTINE, quarantine_record(where, "read", error or "unreadable", where)
            )
            return
        try:
            episode = self.decoder.decode(data, shard, pos)
        except EpisodeError as exc:
            yield beam.pvalue.TaggedOutput(
                QUARANTINE, quarantine_record(where, exc.stage, exc.reason, where)
            )
            return
        self.us.update(int(1e6 * (time.perf_counter() - start)))
        self.steps_in.inc(episode.n_steps)
        yield episode


class AnnotateFn(beam.DoFn):
    """Per-episode stages (motion, reasoning, validation); failures go to quarantine."""

    def __init__(
        self,
        config: AnnotateConfig,
        total: int | None,
        progress: bool,
        resume_from: str | None = None,
    ):
        self.config, self.total, self.progress = config, total, progress
        self.resume_from = resume_from  # resume and commit here, sparing the runner a Flatten
        self.episodes_resumed = Metrics.counter(NAMESPACE, "episodes_resumed")
        self.episodes_out = Metrics.counter(NAMESPACE, "episodes_out")
        self.steps_out = Metrics.counter(NAMESPACE, "steps_out")

    def setup(self):
        from ecot_annotate.stages.annotate_episode import EpisodeAnnotator

        self.manifest = Manifest(self.resume_from) if self.resume_from is not None else None
        self.timers: dict[str, Any] = {}
        self.counters: dict[str, Any] = {}
        self.annotator = EpisodeAnnotator(self.config, timer=self._time, counter=self._count)
        self.bar = None
        if self.progress:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="episode", desc="annotate", leave=False)

    def _time(self, stage: str, seconds: float) -> None:
        if stage not in self.timers:
            self.timers[stage] = Metrics.distribution(NAMESPACE, f"us_{stage}")
        self.timers[stage].update(int(1e6 * seconds))

    def _count(self, name: str, value: int = 1) -> None:
        if name not in self.counters:
            self.counters[name] = Metrics.counter(NAMESPACE, name)
        self.counters[name].inc(value)

    def process(self, item):
        episode, prefilled = (
            item if isinstance(item, tuple) else (item, None)
        )  # perception pre-fills
        if self.bar is not None:
            self.bar.update(1)
        committed = (
            None if self.manifest is None else committed_annotation(self.manifest, episode.key)
        )
        if committed is not None:
            self.episodes_resumed.inc()
            annotated = AnnotatedEpisode(episode, committed)
        else:
            try:
                annotated = self.annotator(episode, prefilled)
            except EpisodeError as exc:
                yield beam.pvalue.TaggedOutput(
                    QUARANTINE, quarantine_record(episode.key, exc.stage, exc.reason, episode.key)
                )
                return
            if self.manifest is not None:
                self.manifest.commit(episode.key, annotated.annotation)
        self.episodes_out.inc()
        self.steps_out.inc(episode.n_steps)
        yield annotated

    def teardown(self):
        if getattr(self, "bar", None) is not None:
            self.bar.close()


def _shards(config: AnnotateConfig) -> int:
    return config.num_shards or 0


def _split_committed(episodes, resume_from: str | None):
    """(episodes to annotate, episodes already committed in `resume_from`'s manifest, annotated)."""
    if resume_from is None:
        return episodes, None
    split = episodes | "SkipCommitted" >> beam.ParDo(ResumeFn(resume_from)).with_outputs(
        TODO, main="resumed"
    )
    return split[TODO], split.resumed


def _not_committed(episode) -> dict[str, str]:
    return quarantine_record(
        episode.key, "export", "the run holds no committed annotation for this episode", episode.key
    )


def _commit(annotated, resumed, resume_from: str | None):
    """Commit fresh annotations to the manifest, then join them with the resumed ones."""
    if resume_from is None:
        return annotated
    committed = annotated | "Commit" >> beam.ParDo(CommitFn(resume_from))
    return (committed, resumed) | "AllAnnotated" >> beam.Flatten()


def build(
    pipeline: beam.Pipeline,
    config: AnnotateConfig,
    dataset: RldsDataset,
    staging: str,
    progress: bool = False,
    resume_from: str | None = None,
    annotate_missing: bool = True,
) -> None:
    """Add the whole annotation graph to `pipeline`, writing under the `staging` folder.

    With `resume_from` (an output folder), episodes committed in its manifest are not annotated
    again and every fresh annotation is committed there before it is written.
    """
    total = (
        dataset.num_episodes
        if config.limit is None
        else min(config.limit, dataset.num_episodes or config.limit)
    )
    if config.source == "lerobot":
        from pipelines.lerobot_read import read_lerobot

        decoded_episodes, read_quarantine = read_lerobot(pipeline, config, dataset)
    else:
        read = (
            pipeline
            | "Shards" >> beam.Create(dataset.shards)
            | "FanOutShards" >> beam.Reshuffle()
            | "Read"
            >> beam.ParDo(ReadShardFn(config.limit)).with_outputs(QUARANTINE, main="records")
        )
        decoded = (
            read.records
            | "FanOutEpisodes" >> beam.Reshuffle()
            | "Decode"
            >> beam.ParDo(DecodeFn(dataset, config)).with_outputs(QUARANTINE, main="episodes")
        )
        decoded_episodes, read_quarantine = (
            decoded.episodes,
            [read[QUARANTINE], decoded[QUARANTINE]],
        )
    staged = (
        config.perception.captioner != "none"
        or config.perception.detector != "none"
        or not annotate_missing
    )
    inline_resume = (
        None if staged else resume_from
    )  # resume inside Annotate when nothing runs before it
    todo, resumed = _split_committed(decoded_episodes, None if inline_resume else resume_from)
    perception_quarantine = []
    if not annotate_missing:  # export: write only what the manifest holds
        perception_quarantine.append(todo | "NotCommitted" >> beam.Map(_not_committed))
        todo = pipeline | "NothingToAnnotate" >> beam.Create([])
    if config.perception.captioner != "none":
        from pipelines.caption import Caption

        todo, caption_failed = todo | "Caption" >> Caption(config.perception, config.llm)
        perception_quarantine.append(caption_failed)
    if config.perception.detector != "none":
        from pipelines.perception import Perceive

        todo, perception_failed = todo | "Perceive" >> Perceive(config.perception)
        perception_quarantine.append(perception_failed)
    annotated = todo | "Annotate" >> beam.ParDo(
        AnnotateFn(config, total, progress, inline_resume)
    ).with_outputs(QUARANTINE, main="annotated")
    episodes = _commit(annotated.annotated, resumed, None if inline_resume else resume_from)
    writer_quarantine = []
    if "parquet" in config.formats:
        _ = (
            episodes
            | "StepRows" >> beam.FlatMap(step_rows)
            | "WriteParquet"
            >> beam.io.WriteToParquet(
                f"{staging}/parquet/steps",
                load_schema(),
                num_shards=_shards(config),
                file_name_suffix=".parquet",
                row_group_buffer_size=PARQUET_ROW_GROUP_BYTES,
                record_batch_size=PARQUET_BATCH_ROWS,
            )
        )
    if "ecot-json" in config.formats:
        _ = (
            episodes
            | "EcotLines" >> beam.Map(entry_line)
            | "WriteEcotParts"
            >> beam.io.WriteToText(
                f"{staging}/ecot/parts/entries",
                file_name_suffix=".jsonl",
                num_shards=_shards(config),
            )
        )
    if "rlds" in config.formats:
        writer_quarantine.append(write_rlds(episodes, dataset, staging, _shards(config)))
    if "lerobot" in config.formats:
        writer_quarantine.append(
            write_lerobot_parts(episodes, staging, load_profile(config.profile).image_key)
        )
    _ = (
        (*read_quarantine, *perception_quarantine, annotated[QUARANTINE], *writer_quarantine)
        | "AllQuarantine" >> beam.Flatten()
        | "QuarantineJson" >> beam.Map(lambda rec: json.dumps(rec, sort_keys=True))
        | "WriteQuarantine"
        >> beam.io.WriteToText(
            f"{staging}/quarantine/quarantine", file_name_suffix=".jsonl", num_shards=1
        )
    )
