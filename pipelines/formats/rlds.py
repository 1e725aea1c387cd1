"""Augmented RLDS: the source's records with ECoT features added, sharded by WriteToTFRecord."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from ecot_annotate.episode import AnnotatedEpisode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.sinks import rlds as rlds_sink
from pipelines.formats.base import FORMATS, OutputFormat, WriteContext
from pipelines.quarantine import NAMESPACE, QUARANTINE, to_quarantine, with_quarantine


class SerializeRldsFn(beam.DoFn):
    def __init__(self, features_json: str):
        self.features_json = features_json
        self.failed = Metrics.counter(NAMESPACE, "episodes_write_failed")

    def setup(self):
        self.writer = rlds_sink.RldsEpisodeWriter(self.features_json)

    def process(self, annotated: AnnotatedEpisode):
        try:
            yield self.writer.serialize(annotated)
        except EpisodeError as exc:
            self.failed.inc()
            yield to_quarantine(exc.record(annotated.episode.key))


def rlds_folder(ctx: WriteContext) -> str:
    """The TFDS dataset folder in staging: `rlds/{name}/{version}`, as TFDS's builder lays it out."""
    return f"rlds/{ctx.dataset.name}/{ctx.dataset.version}"


class RldsFormat(OutputFormat):
    def write(self, episodes, ctx: WriteContext):
        serialize = SerializeRldsFn(ctx.dataset.features_json)
        serialized = episodes | "SerializeRlds" >> with_quarantine(serialize, "records")
        _ = serialized.records | "WriteRlds" >> ctx.sharded(
            beam.io.WriteToTFRecord,
            rlds_sink.shard_prefix(rlds_folder(ctx), ctx.dataset.name, ctx.dataset.split),
            shard_name_template=rlds_sink.SHARD_TEMPLATE,
        )
        return serialized[QUARANTINE]

    def finish(self, ctx: WriteContext) -> dict[str, int]:
        rlds_sink.write_metadata(
            ctx.staged(rlds_folder(ctx)), ctx.dataset.features_json, ctx.dataset.version
        )
        return {}


FORMATS.register("rlds")(RldsFormat("rlds", "rlds", copies_records=True))
