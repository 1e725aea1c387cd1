"""Progress as a log line every few seconds, for runs with no terminal to draw a bar on.

Piped output, a batch job or a Dataflow worker gets no progress bar; it gets a line such as
`progress: 120/400 episodes (30%), 850 steps/s, 4 LLM requests in flight, ETA 0:05:12` through
the `ecot_annotate` logger, which worker logs collect. Each worker process reports what it has
done; `total` is the run's total, so a worker's ETA is its own share at its own pace. The interval
is 30 s, or ECOT_ANNOTATE_PROGRESS_S seconds where that is set.
"""

from __future__ import annotations

import datetime
import logging
import os
import threading
import time
from collections.abc import Callable

from ecot_annotate.quiet import LOGGER

EVERY_S = 30.0
EVERY_ENV = "ECOT_ANNOTATE_PROGRESS_S"


def eta(done: int, total: int, elapsed_s: float) -> str | None:
    """Remaining time at the pace so far, as H:MM:SS; None before there is a pace."""
    if done <= 0 or total <= done or elapsed_s <= 0:
        return None
    seconds = elapsed_s * (total - done) / done
    return str(datetime.timedelta(seconds=round(seconds)))


class ProgressLog:
    """Counts episodes and steps; logs one line when `every_s` has passed since the last one."""

    def __init__(
        self,
        total: int | None,
        every_s: float | None = None,
        in_flight: Callable[[], int] | None = None,
        log: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        if every_s is None:
            every_s = float(os.environ.get(EVERY_ENV, EVERY_S))
        self.total, self.every_s, self.in_flight = total, every_s, in_flight
        self.log = log or logging.getLogger(f"{LOGGER}.progress")
        self.clock = clock
        self.start = self.last = clock()
        self.episodes = self.steps = 0
        self._lock = threading.Lock()

    def add(self, episodes: int = 1, steps: int = 0) -> None:
        """Count finished work; log a line if it is time to."""
        with self._lock:
            self.episodes += episodes
            self.steps += steps
            now = self.clock()
            if now - self.last < self.every_s:
                return
            self.last = now
        self.log.info(self.line(now))

    def line(self, now: float | None = None) -> str:
        elapsed = (self.clock() if now is None else now) - self.start
        done = f"{self.episodes}/{self.total}" if self.total else f"{self.episodes}"
        parts = [f"progress: {done} episodes"]
        if self.total:
            parts[0] += f" ({100 * self.episodes // self.total}%)"
        if elapsed > 0:
            parts.append(f"{self.steps / elapsed:.0f} steps/s")
        if self.in_flight is not None:
            parts.append(f"{self.in_flight()} LLM requests in flight")
        remaining = eta(self.episodes, self.total or 0, elapsed)
        if remaining:
            parts.append(f"ETA {remaining}")
        return ", ".join(parts)
