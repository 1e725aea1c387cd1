"""Read a LeRobot folder into Episodes: episode references fan out, each worker decodes one episode."""

from __future__ import annotations

import time

import apache_beam as beam
from apache_beam.metrics import Metrics

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.errors import EpisodeError
from ecot_annotate.sources.lerobot import LeRobotDecoder, LeRobotEpisodeRef, LeRobotFolder

NAMESPACE = "ecot"
QUARANTINE = "quarantine"


class DecodeLeRobotFn(beam.DoFn):
    def __init__(self, folder: LeRobotFolder, profile_name: str):
        self.folder, self.profile_name = folder, profile_name
        self.episodes_in = Metrics.counter(NAMESPACE, "episodes_in")
        self.steps_in = Metrics.counter(NAMESPACE, "steps_in")
        self.us = Metrics.distribution(NAMESPACE, "us_decode")

    def setup(self):
        from ecot_annotate.profiles import load_profile

        self.decoder = LeRobotDecoder(self.folder, load_profile(self.profile_name))

    def process(self, ref: LeRobotEpisodeRef):
        self.episodes_in.inc()
        start = time.perf_counter()
        try:
            episode = self.decoder.decode(ref)
        except EpisodeError as exc:
            key = self.decoder.key(ref)
            yield beam.pvalue.TaggedOutput(
                QUARANTINE,
                {"key": key, "stage": exc.stage, "error": exc.reason, "source": ref.data_path},
            )
            return
        self.us.update(int(1e6 * (time.perf_counter() - start)))
        self.steps_in.inc(episode.n_steps)
        yield episode


def read_lerobot(pipeline: beam.Pipeline, config: AnnotateConfig, folder: LeRobotFolder):
    """(episodes, [quarantine]) for the first `config.limit` episodes of the folder's split."""
    refs = folder.episodes if config.limit is None else folder.episodes[: config.limit]
    decoded = (
        pipeline
        | "Episodes" >> beam.Create(refs)
        | "FanOutEpisodes" >> beam.Reshuffle()
        | "DecodeLeRobot"
        >> beam.ParDo(DecodeLeRobotFn(folder, config.profile)).with_outputs(
            QUARANTINE, main="episodes"
        )
    )
    return decoded.episodes, [decoded[QUARANTINE]]
