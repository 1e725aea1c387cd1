"""ECoT JSON: the original trainer's reasonings.json, merged from per-worker parts after the run."""

from __future__ import annotations

import apache_beam as beam

from ecot_annotate import fs
from ecot_annotate.sinks.ecot_json import entry_line, merge_lines
from pipelines.formats.base import FORMATS, OutputFormat, WriteContext


class EcotJsonFormat(OutputFormat):
    def write(self, episodes, ctx: WriteContext):
        _ = (
            episodes
            | "EcotLines" >> beam.Map(entry_line)
            | "WriteEcotParts"
            >> beam.io.WriteToText(
                f"{ctx.staging}/ecot/parts/entries",
                file_name_suffix=".jsonl",
                num_shards=ctx.config.num_shards,
            )
        )

    def finish(self, ctx: WriteContext) -> dict[str, int]:
        with fs.create(f"{ctx.staging}/ecot/reasonings.json") as handle:
            written = merge_lines(fs.read_lines(f"{ctx.staging}/ecot/parts/*"), handle)
        fs.delete_matching(f"{ctx.staging}/ecot/parts/*")
        return {"ecot_json_entries": written}


FORMATS.register("ecot-json")(EcotJsonFormat("ecot-json", "ecot", product="ecot/reasonings.json"))
