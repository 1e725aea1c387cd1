"""LeRobot v3.0: one Parquet part per episode from the workers, laid out after the run."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from ecot_annotate.episode import AnnotatedEpisode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.sinks.lerobot import PARTS, write_episode_part
from ecot_annotate.sinks.lerobot_finish import finish_lerobot
from ecot_annotate.sinks.lerobot_input import lerobot_input
from pipelines.formats.base import FORMATS, OutputFormat, WriteContext
from pipelines.quarantine import NAMESPACE, to_quarantine


class WriteLeRobotPartFn(beam.DoFn):
    def __init__(self, folder: str, camera: str | None, embed_images: bool):
        self.folder, self.camera, self.embed_images = folder, camera, embed_images
        self.failed = Metrics.counter(NAMESPACE, "episodes_write_failed")

    def process(self, annotated: AnnotatedEpisode):
        try:
            write_episode_part(annotated, self.folder, self.camera, self.embed_images)
        except EpisodeError as exc:
            self.failed.inc()
            yield to_quarantine(exc.record(annotated.episode.key))


class LeRobotFormat(OutputFormat):
    def write(self, episodes, ctx: WriteContext):
        source = lerobot_input(ctx.dataset, ctx.profile)
        return episodes | "WriteLeRobotParts" >> beam.ParDo(
            WriteLeRobotPartFn(ctx.staged(PARTS), source.camera, source.camera not in source.videos)
        )

    def finish(self, ctx: WriteContext) -> dict[str, int]:
        finish_lerobot(ctx.staging, lerobot_input(ctx.dataset, ctx.profile))
        return {}


FORMATS.register("lerobot")(LeRobotFormat("lerobot", "lerobot", stores_frames=True))
