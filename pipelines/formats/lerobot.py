"""LeRobot v3.0: one Parquet part per episode from the workers, laid out after the run."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from ecot_annotate.episode import AnnotatedEpisode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.sinks.lerobot import PARTS, write_episode_part
from ecot_annotate.sinks.lerobot_finish import finish_lerobot
from pipelines.formats.base import FORMATS, OutputFormat, WriteContext
from pipelines.quarantine import NAMESPACE, to_quarantine


class WriteLeRobotPartFn(beam.DoFn):
    def __init__(self, folder: str, image_key: str):
        self.folder, self.image_key = folder, image_key
        self.failed = Metrics.counter(NAMESPACE, "episodes_write_failed")

    def process(self, annotated: AnnotatedEpisode):
        try:
            write_episode_part(annotated, self.folder, self.image_key)
        except EpisodeError as exc:
            self.failed.inc()
            yield to_quarantine(exc.record(annotated.episode.key))


class LeRobotFormat(OutputFormat):
    def write(self, episodes, ctx: WriteContext):
        return episodes | "WriteLeRobotParts" >> beam.ParDo(
            WriteLeRobotPartFn(ctx.staged(PARTS), ctx.profile.image_key)
        )

    def finish(self, ctx: WriteContext) -> dict[str, int]:
        finish_lerobot(ctx.staging)
        return {}


FORMATS.register("lerobot")(LeRobotFormat("lerobot", "lerobot"))
