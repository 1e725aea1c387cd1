"""The shape of an output format, and the table of formats by name.

A format adds its writers to the graph (`write`, returning the quarantine of episodes it could not
write, if it can fail per episode) and turns what they left in the staging folder into the
finished format after the pipeline (`finish`). Adding a format is one module that registers itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import apache_beam as beam

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.registry import Registry


@dataclass(frozen=True)
class WriteContext:
    config: AnnotateConfig
    dataset: Any
    profile: DatasetProfile
    staging: str  # this run's staging folder; `folder` under it is published into OUT


class OutputFormat(Protocol):
    name: str
    folder: str  # where it lands in OUT
    copies_records: bool  # needs a source whose records it can copy (augmented RLDS)

    def write(self, episodes: beam.PCollection, ctx: WriteContext) -> beam.PCollection | None: ...

    def finish(self, ctx: WriteContext) -> dict[str, int]: ...


FORMATS: Registry[OutputFormat] = Registry("output format")
