"""Parquet: one row per step in the Arrow schema of schemas/annotated_step.json.

Where the input keeps its camera as video, `--parquet-frames reference` (the default) keeps each
step's frame as a reference into it (schemas/video_reference.json) and nothing is decoded for
Parquet; `jpeg` stores the frames, decoded once and encoded once.
"""

from __future__ import annotations

import time

import apache_beam as beam
from apache_beam.metrics import Metrics

from ecot_annotate.config import PARQUET_REFERENCES, AnnotateConfig
from ecot_annotate.episode import AnnotatedEpisode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.frames import EVERY_FRAME, FrameRequest
from ecot_annotate.sinks.parquet import step_rows
from ecot_annotate.sinks.schema import step_schema
from pipelines.formats.base import FORMATS, OutputFormat, WriteContext
from pipelines.quarantine import NAMESPACE, QUARANTINE, to_quarantine, with_quarantine

# Bounds the Parquet writer's memory; Beam's defaults (64 MiB, 1000 rows) hold ~60 episodes.
ROW_GROUP_BYTES = 1024 * 1024
BATCH_ROWS = 50  # rows held as Python objects before Arrow takes them


class StepRowsFn(beam.DoFn):
    """An episode -> its step rows; an episode whose frames cannot be read for them goes to
    quarantine (its video broke after the run found its frames' places), counted as not written."""

    def __init__(self, references: bool):
        self.references = references
        self.failed = Metrics.counter(NAMESPACE, "episodes_write_failed")
        self.us = Metrics.distribution(NAMESPACE, "us_parquet_rows")

    def process(self, annotated: AnnotatedEpisode):
        start = time.perf_counter()
        try:
            rows = step_rows(annotated, self.references)
        except EpisodeError as exc:
            self.failed.inc()
            yield to_quarantine(exc.record(annotated.episode.key))
            return
        self.us.update(int(1e6 * (time.perf_counter() - start)))
        yield from rows


class ParquetFormat(OutputFormat):
    def frames(self, config: AnnotateConfig) -> FrameRequest:
        """Every frame: as stored (a video reference does) or, with `jpeg`, as pixels to encode."""
        if config.parquet_frames == PARQUET_REFERENCES:
            return FrameRequest(stored=EVERY_FRAME)
        return FrameRequest(pixels=EVERY_FRAME)

    def write(self, episodes, ctx: WriteContext):
        references = ctx.config.parquet_frames == PARQUET_REFERENCES and (
            ctx.dataset.frames_in_video(ctx.profile)
        )
        rows = episodes | "StepRows" >> with_quarantine(StepRowsFn(references), "rows")
        _ = rows.rows | "WriteParquet" >> ctx.sharded(
            beam.io.WriteToParquet,
            "parquet/steps",
            schema=step_schema(references),
            file_name_suffix=".parquet",
            row_group_buffer_size=ROW_GROUP_BYTES,
            record_batch_size=BATCH_ROWS,
        )
        return rows[QUARANTINE]


FORMATS.register("parquet")(ParquetFormat("parquet", "parquet", stores_frames=True))
