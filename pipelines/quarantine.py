"""What every DoFn shares: the quarantine output's tag, the metrics namespace and how a library
counter becomes a metric."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from ecot_annotate.counting import TIMING

QUARANTINE = "quarantine"
NAMESPACE = "ecot"
DAMAGE = "damage"  # the stage of a quarantine entry that names damage holding no episode


def to_quarantine(record: dict[str, str]) -> beam.pvalue.TaggedOutput:
    """Send one quarantine record (see errors.quarantine_record) to the quarantine output."""
    return beam.pvalue.TaggedOutput(QUARANTINE, record)


def with_quarantine(fn: beam.DoFn, main: str) -> beam.ParDo:
    """A ParDo of `fn` whose quarantine records leave by their own output, beside `main`."""
    return beam.ParDo(fn).with_outputs(QUARANTINE, main=main)


def report(name: str, value: int = 1) -> None:
    """A library counter (`counting.Count`) as a Beam metric: a timing as a distribution."""
    if name.startswith(TIMING):
        Metrics.distribution(NAMESPACE, name).update(value)
    else:
        Metrics.counter(NAMESPACE, name).inc(value)
