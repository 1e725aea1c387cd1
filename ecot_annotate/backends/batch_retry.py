"""Run a model over a batch; when the batch fails, retry it in halves down to the single item.

One bad frame (an image the processor rejects, a box that breaks SAM) makes a whole batched call
raise, and a batch mixes frames of many episodes. Halving isolates the failing items in about
2·log2(batch) extra calls, so only the episode that owns a bad frame is quarantined and every other
frame of the batch gets its result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def run_in_halves(
    items: Sequence[Item], call: Callable[[list[Item]], Sequence[Result]]
) -> list[Result | Exception]:
    """`call(items)` item by item in order; an item that fails even alone gets its exception."""
    if not items:
        return []
    try:
        results = list(call(list(items)))
    except Exception as exc:  # noqa: BLE001 - any model failure is retried smaller, then reported
        if len(items) == 1:
            return [exc]
        middle = len(items) // 2
        return run_in_halves(items[:middle], call) + run_in_halves(items[middle:], call)
    if len(results) != len(items):
        raise ValueError(f"a batch of {len(items)} gave {len(results)} results")
    return results
