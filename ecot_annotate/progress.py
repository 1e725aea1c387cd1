"""Progress as a log line every few seconds, for runs with no terminal to draw a bar on.

Piped output, a batch job or a Dataflow worker gets no progress bar; it gets a line such as
`progress: 120/400 episodes (30%), 850 steps/s, 4 LLM requests in flight, ETA 0:05:12` through
the `ecot_annotate` logger, which worker logs collect. Each worker process reports what it has
done; `total` is the run's total, so a worker's ETA is its own share at its own pace. The interval
is 30 s, or ECOT_ANNOTATE_PROGRESS_S seconds where that is set.

`ProgressLog` logs when an episode is done, which is often enough for per-episode stages.
`BatchProgress` is for a stage whose model loads for long and whose batches take minutes (the
embedded LLM): it logs from a thread of its own, so a slow batch on a busy machine is not silent:
`progress: llm: 3/25 episodes (12%), 8 in this batch, 2210 tokens, 14.2 tokens/s, ETA 0:06:40`.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator

from ecot_annotate.quiet import LOGGER

EVERY_S = 30.0
EVERY_ENV = "ECOT_ANNOTATE_PROGRESS_S"


def eta(done: float, total: int, elapsed_s: float) -> str | None:
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


class BatchProgress:
    """Progress of a stage that loads a model and then works in long batches (the embedded LLM):
    while it loads and while a batch runs, a thread of its own logs a line every `every_s` seconds
    (1 at least), however long that takes, or refreshes a bar on a terminal (`bar`).

    It reads the stage's counters as they are reported (`observe`): episodes finished, answers,
    repairs asked for and tokens generated. Tokens/s is over the time inside batches. The ETA is
    at the pace so far, counting an episode of the running batch half done when its first answer
    is in, and done when its repair answer is in or the repair round starts without it.
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        every_s: float | None = None,
        bar: bool = False,
        log: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        if every_s is None:
            every_s = float(os.environ.get(EVERY_ENV, EVERY_S))
        self.label, self.total, self.every_s = label, total, max(every_s, 1.0)
        self.poll_s = 1.0 if bar else min(1.0, self.every_s / 4)
        self.log = log or logging.getLogger(f"{LOGGER}.progress")
        self.clock = clock
        self.counts = dict.fromkeys(("episodes", "answers", "repairs", "tokens"), 0)
        self.at_batch_start = dict(self.counts)
        self.in_batch = 0  # episodes in the running batch
        self.loading: str | None = None  # what is loading, while it loads
        self.start: float | None = None  # when the first batch started
        self.busy_s = self.phase_start = self.last = 0.0
        self._lock = threading.Lock()
        self._bar = None
        if bar:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="episode", desc=label, leave=False)
        self._thread: threading.Thread | None = None

    def observe(self, name: str, value: int) -> None:
        """A counter the stage reported (a `Count`): the ones in WATCHED are counted."""
        key = WATCHED.get(name)
        if key is not None:
            with self._lock:
                self.counts[key] += value

    def begin_loading(self, what: str) -> None:
        """`what` starts loading: said now, and every `every_s` until the first batch."""
        with self._lock:
            self.loading, self.phase_start = what, self.clock()
        self.show(force=True)
        self._start_ticking()

    def end_loading(self) -> None:
        with self._lock:
            self.loading = None

    def begin(self, size: int) -> None:
        """A batch of `size` episodes starts."""
        with self._lock:
            now = self.clock()
            if self.start is None:
                self.start = self.last = now
            self.loading, self.in_batch, self.phase_start = None, size, now
            self.at_batch_start = dict(self.counts)
        self._start_ticking()

    def end(self) -> None:
        """The running batch is done."""
        with self._lock:
            self.busy_s += self.clock() - self.phase_start
            self.in_batch = 0
        self.show(force=self._bar is not None)

    def _start_ticking(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._thread.start()

    def _tick(self) -> None:
        while True:
            time.sleep(self.poll_s)
            if self.in_batch or self.loading:
                self.show(force=self._bar is not None)

    def show(self, force: bool = False) -> None:
        """Log the line if `every_s` has passed since the last one (or now: `force`), or draw it."""
        with self._lock:
            now = self.clock()
            if not force and now - self.last < self.every_s - self.poll_s:
                return
            self.last, text, done = now, self.line(now), self.done()
        if self._bar is not None:
            self._bar.n = done
            self._bar.set_postfix_str(text.split(": ", 2)[-1], refresh=True)
        else:
            self.log.info(text)

    def done(self) -> float:
        """Episodes finished, and the running batch's share as the class says."""
        if not self.in_batch:
            return float(self.counts["episodes"])
        new = {key: self.counts[key] - self.at_batch_start[key] for key in self.counts}
        first = min(new["answers"], self.in_batch)
        if new["repairs"]:  # the repair round has started: the others are done
            share = first + (self.in_batch - new["repairs"]) + (new["answers"] - first)
        else:
            share = first
        return self.counts["episodes"] + min(share, 2 * self.in_batch) / 2

    def line(self, now: float | None = None) -> str:
        now = self.clock() if now is None else now
        head = f"progress: {self.label}: "
        if self.loading:
            return head + f"loading {self.loading}, {now - self.phase_start:.0f}s so far"
        episodes = self.counts["episodes"]
        parts = [head + f"{episodes}" + (f"/{self.total}" if self.total else "") + " episodes"]
        if self.total:
            parts[0] += f" ({100 * episodes // self.total}%)"
        if self.in_batch:
            parts.append(f"{self.in_batch} in this batch")
        busy = self.busy_s + (now - self.phase_start if self.in_batch else 0.0)
        tokens = self.counts["tokens"]
        parts.append(f"{tokens} tokens" + (f", {tokens / busy:.1f} tokens/s" if busy > 0 else ""))
        remaining = None
        if self.start is not None:
            remaining = eta(self.done(), self.total or 0, now - self.start)
        if remaining:
            parts.append(f"ETA {remaining}")
        return ", ".join(parts)


@contextlib.contextmanager
def loading(label: str, what: str) -> Iterator[None]:
    """A line now and every interval while the block runs (a model converted or loaded)."""
    progress = BatchProgress(label, None)
    progress.begin_loading(what)
    try:
        yield
    finally:
        progress.end_loading()


WATCHED = {  # the counters BatchProgress reads, and what they count
    "llm_validated": "episodes",
    "llm_fallbacks": "episodes",
    "llm_requests": "answers",
    "llm_repairs": "repairs",
    "llm_field_repairs": "repairs",
    "llm_completion_tokens": "tokens",
}
