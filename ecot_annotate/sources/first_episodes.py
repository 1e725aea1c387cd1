"""The first readable episodes of a dataset, for what must look at the data before a run.

Only state, action and instruction are read: motion calibration and the estimate never look at
a frame, so a video dataset is not decoded for them.
"""

from __future__ import annotations

from ecot_annotate.episode import Episode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.frames import NOTHING
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.sources.base import Source, Unreadable, episode_refs


def first_episodes(dataset: Source, profile: DatasetProfile, n: int) -> list[Episode]:
    """Up to `n` episodes in dataset order, without frames; unreadable ones are skipped (the run
    quarantines them)."""
    reader = dataset.reader(profile, NOTHING)
    found: list[Episode] = []
    try:
        for ref in episode_refs(dataset):
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
