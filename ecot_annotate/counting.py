"""The counter callback every stage, reasoner and backend reports through.

`Count(name, value)` adds `value` to the counter `name`: Beam metrics in the pipeline, a dict in
tests. It lives below every folder so that backends, reasoners and stages all reach it downward.
"""

from __future__ import annotations

from collections.abc import Callable

Count = Callable[[str, int], None]


def no_count(name: str, value: int = 1) -> None:
    """The counter of callers that keep no counts."""
    return None
