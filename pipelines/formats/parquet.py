"""Parquet: one row per step in the Arrow schema of schemas/annotated_step.json."""

from __future__ import annotations

import apache_beam as beam

from ecot_annotate.sinks.parquet import step_rows
from ecot_annotate.sinks.schema import load_schema
from pipelines.formats.base import FORMATS, OutputFormat, WriteContext

# Bounds the Parquet writer's memory; Beam's defaults (64 MiB, 1000 rows) hold ~60 episodes.
ROW_GROUP_BYTES = 1024 * 1024
BATCH_ROWS = 50  # rows held as Python objects before Arrow takes them


class ParquetFormat(OutputFormat):
    def write(self, episodes, ctx: WriteContext):
        rows = episodes | "StepRows" >> beam.FlatMap(step_rows)
        _ = rows | "WriteParquet" >> ctx.sharded(
            beam.io.WriteToParquet,
            "parquet/steps",
            schema=load_schema(),
            file_name_suffix=".parquet",
            row_group_buffer_size=ROW_GROUP_BYTES,
            record_batch_size=BATCH_ROWS,
        )


FORMATS.register("parquet")(ParquetFormat("parquet", "parquet", stores_frames=True))
