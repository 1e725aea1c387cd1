"""Writers for the training formats beyond Parquet/JSON: augmented RLDS shards and LeRobot episode parts.

RLDS shards are written in parallel by Beam's WriteToTFRecord; LeRobot episodes are written one
Parquet part per episode and laid out into LeRobot's folders after the pipeline (sinks/lerobot).
An episode a writer cannot handle goes to quarantine with the writer's stage name.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from ecot_annotate.episode import AnnotatedEpisode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.sinks import rlds as rlds_sink

NAMESPACE = "ecot"
QUARANTINE = "quarantine"


def _quarantine(annotated: AnnotatedEpisode, exc: EpisodeError) -> beam.pvalue.TaggedOutput:
    key = annotated.episode.key
    return beam.pvalue.TaggedOutput(
        QUARANTINE, {"key": key, "stage": exc.stage, "error": exc.reason, "source": key}
    )


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
            yield _quarantine(annotated, exc)


class WriteLeRobotPartFn(beam.DoFn):
    def __init__(self, folder: str, image_key: str):
        self.folder, self.image_key = folder, image_key
        self.failed = Metrics.counter(NAMESPACE, "episodes_write_failed")

    def process(self, annotated: AnnotatedEpisode):
        from ecot_annotate.sinks.lerobot import write_episode_part

        try:
            write_episode_part(annotated, self.folder, self.image_key)
        except EpisodeError as exc:
            self.failed.inc()
            yield _quarantine(annotated, exc)


def rlds_folder(staging: str, dataset) -> str:
    return f"{staging}/rlds/{dataset.name}/{rlds_sink.source_version(dataset.root)}"


def write_rlds(episodes, dataset, staging: str, num_shards: int):
    """Serialize and shard; returns the quarantine PCollection of episodes that could not be written."""
    serialized = episodes | "SerializeRlds" >> beam.ParDo(
        SerializeRldsFn(dataset.features_json)
    ).with_outputs(QUARANTINE, main="records")
    folder = rlds_folder(staging, dataset)
    _ = serialized.records | "WriteRlds" >> beam.io.WriteToTFRecord(
        rlds_sink.shard_prefix(folder, dataset.name, dataset.split),
        shard_name_template=rlds_sink.SHARD_TEMPLATE,
        num_shards=num_shards,
    )
    return serialized[QUARANTINE]


def write_lerobot_parts(episodes, staging: str, image_key: str):
    from ecot_annotate.sinks.lerobot import PARTS

    return episodes | "WriteLeRobotParts" >> beam.ParDo(
        WriteLeRobotPartFn(f"{staging}/{PARTS}", image_key)
    )
