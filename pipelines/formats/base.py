"""The shape of an output format, and the table of formats by name.

A format adds its writers to the graph (`write`, returning the quarantine of episodes it could not
write, if it can fail per episode) and turns what they left in the staging folder into the
finished format after the pipeline (`finish`). Adding a format is one module that registers itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import apache_beam as beam

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.frames import EVERY_FRAME, NOTHING, FrameRequest
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.registry import Registry


@dataclass(frozen=True)
class WriteContext:
    config: AnnotateConfig
    dataset: Any
    staging: str  # this run's staging folder; `folder` under it is published into OUT

    @property
    def profile(self) -> DatasetProfile:
        """The run's profile, resolved once and carried by the config."""
        return self.config.dataset_profile

    def staged(self, path: str) -> str:
        """`path` in the staging folder, where every format writes before publishing."""
        return f"{self.staging}/{path}"

    def sharded(
        self, sink: Callable[..., beam.PTransform], prefix: str, **options: Any
    ) -> beam.PTransform:
        """`sink`, a Beam file sink, writing `prefix` in the staging folder as the `--num-shards`
        files every format's sharded output is split into."""
        return sink(self.staged(prefix), num_shards=self.config.num_shards, **options)


class OutputFormat:
    """Subclasses add `write`, and `finish` when parts must be turned into the finished format."""

    def __init__(
        self,
        name: str,
        folder: str,
        copies_records: bool = False,
        product: str | None = None,
        stores_frames: bool = False,
    ):
        self.name = name
        self.folder = folder  # where it lands in OUT
        self.copies_records = copies_records  # needs a source whose records it can copy
        self.stores_frames = stores_frames  # keeps each step's frame as the source stores it
        self.product = (
            product or folder
        )  # the finished file or folder in OUT: what `export` hands over

    def frames(self, config: AnnotateConfig) -> FrameRequest:
        """What it reads of each episode's frames (the run plan adds these up)."""
        return FrameRequest(stored=EVERY_FRAME) if self.stores_frames else NOTHING

    def write(self, episodes: beam.PCollection, ctx: WriteContext) -> beam.PCollection | None:
        raise NotImplementedError

    def finish(self, ctx: WriteContext) -> dict[str, int]:
        return {}


FORMATS: Registry[OutputFormat] = Registry("output format")
