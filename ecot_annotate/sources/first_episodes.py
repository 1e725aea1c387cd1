"""The first readable episodes of a dataset, for what must look at the data before a run."""

from __future__ import annotations

from typing import Any

from ecot_annotate.episode import Episode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.sources.base import Source, Unreadable


def first_episodes(source: Source, dataset: Any, profile: DatasetProfile, n: int) -> list[Episode]:
    """Up to `n` episodes in dataset order; unreadable ones are skipped (the run quarantines them)."""
    reader = source.reader(dataset, profile)
    found: list[Episode] = []
    try:
        for unit in source.units(dataset, None):
            for ref in source.refs(dataset, unit, None):
                if len(found) >= n:
                    return found
                if isinstance(ref, Unreadable):
                    continue
                try:
                    found.append(reader.read(ref))
                except EpisodeError:
                    continue
    finally:
        reader.close()
    return found
