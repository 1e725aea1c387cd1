"""What every DoFn shares: the quarantine output's tag and the metrics namespace."""

from __future__ import annotations

import apache_beam as beam

QUARANTINE = "quarantine"
NAMESPACE = "ecot"


def to_quarantine(record: dict[str, str]) -> beam.pvalue.TaggedOutput:
    """Send one quarantine record (see errors.quarantine_record) to the quarantine output."""
    return beam.pvalue.TaggedOutput(QUARANTINE, record)
