"""Progress without a terminal: a log line every N seconds with counts, rate, LLM load and ETA."""

from __future__ import annotations

import logging

from ecot_annotate.progress import ProgressLog, eta


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_line_every_interval_with_counts_rate_in_flight_and_eta(caplog):
    clock = Clock()
    log = logging.getLogger("tests.progress")  # propagates to caplog whatever the CLI configured
    progress = ProgressLog(total=10, every_s=30, in_flight=lambda: 3, log=log, clock=clock)
    with caplog.at_level(logging.INFO, logger="tests.progress"):
        progress.add(steps=50)
        clock.now = 10
        progress.add(steps=50)
        assert caplog.messages == []  # not yet 30 s
        clock.now = 40
        progress.add(steps=100)  # 3 episodes, 200 steps in 40 s
        clock.now = 50
        progress.add(steps=50)
    assert caplog.messages == [
        "progress: 3/10 episodes (30%), 5 steps/s, 3 LLM requests in flight, ETA 0:01:33"
    ]


def test_without_a_total_or_llm_the_line_says_what_it_knows():
    clock = Clock()
    progress = ProgressLog(total=None, clock=clock)
    progress.add(episodes=4, steps=40)
    clock.now = 8
    assert progress.line() == "progress: 4 episodes, 5 steps/s"


def test_eta_needs_a_pace_and_work_left():
    assert eta(0, 10, 5.0) is None
    assert eta(10, 10, 5.0) is None
    assert eta(1, 4, 60.0) == "0:03:00"
