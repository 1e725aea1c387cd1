"""The counter callback every stage, reasoner and backend reports through.

`Count(name, value)` adds `value` to the counter `name`: Beam metrics in the pipeline, a dict in
tests. It lives below every folder so that backends, reasoners and stages all reach it downward.
A name starting with `TIMING` is a duration in microseconds: the pipeline reports it as the time
of the part named after the prefix (`us_decode`: decoding frames), in summary.json's
`stage_seconds`.
"""

from __future__ import annotations

from collections.abc import Callable

Count = Callable[[str, int], None]
TIMING = "us_"


def no_count(name: str, value: int = 1) -> None:
    """The counter of callers that keep no counts."""
    return None
