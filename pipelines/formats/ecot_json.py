"""ECoT JSON: the original trainer's reasonings.json, merged from per-worker parts after the run."""

from __future__ import annotations

import apache_beam as beam

from ecot_annotate import fs
from ecot_annotate.sinks.ecot_json import entry_line, merge_lines
from pipelines.formats.base import FORMATS, OutputFormat, WriteContext


class EcotJsonFormat(OutputFormat):
    def write(self, episodes, ctx: WriteContext):
        lines = episodes | "EcotLines" >> beam.Map(entry_line)
        _ = lines | "WriteEcotParts" >> ctx.sharded(
            beam.io.WriteToText, "ecot/parts/entries", file_name_suffix=".jsonl"
        )

    def finish(self, ctx: WriteContext) -> dict[str, int]:
        with fs.create(ctx.staged("ecot/reasonings.json")) as handle:
            written = merge_lines(fs.read_lines(ctx.staged("ecot/parts/*")), handle)
        fs.delete_matching(ctx.staged("ecot/parts/*"))
        return {"ecot_json_entries": written}


FORMATS.register("ecot-json")(EcotJsonFormat("ecot-json", "ecot", product="ecot/reasonings.json"))
