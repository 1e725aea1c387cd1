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


def _batch_progress(clock, total=4):
    from ecot_annotate.progress import BatchProgress

    return BatchProgress("llm", total=total, every_s=30, clock=clock)


def test_a_batch_line_counts_episodes_tokens_per_second_and_an_eta_from_first_answers():
    clock = Clock()
    progress = _batch_progress(clock)
    progress.begin(2)
    clock.now = 20
    for name, value in (("llm_completion_tokens", 300), ("llm_requests", 1), ("other", 9)):
        progress.observe(name, value)
    # one of two first answers in after 20 s: a quarter of the batch, 1/8 of the run
    assert progress.line() == (
        "progress: llm: 0/4 episodes (0%), 2 in this batch, 300 tokens, 15.0 tokens/s, ETA 0:02:20"
    )
    progress.observe("llm_requests", 1)
    progress.observe("llm_field_repairs", 1)  # the repair round: the other episode is done
    assert progress.done() == 1.5
    progress.observe("llm_requests", 1)
    assert progress.done() == 2.0
    progress.observe("llm_validated", 2)
    progress.end()
    clock.now = 30
    assert (
        progress.line()
        == "progress: llm: 2/4 episodes (50%), 300 tokens, 15.0 tokens/s, ETA 0:00:30"
    )


def test_a_slow_batch_and_a_slow_load_are_not_silent(caplog):
    """The thread logs every interval while the model loads and while a batch runs, not between."""
    import time

    from ecot_annotate.progress import BatchProgress

    log = logging.getLogger("tests.batch_progress")
    progress = BatchProgress("llm", total=2, every_s=1, log=log)
    with caplog.at_level(logging.INFO, logger="tests.batch_progress"):
        progress.begin_loading("a model")
        time.sleep(1.6)
        progress.end_loading()
        time.sleep(1.1)  # loaded, waiting for the first batch: nothing to say
        progress.begin(2)
        time.sleep(2.6)
        progress.end()
        time.sleep(1.6)
    lines = caplog.messages
    loading = [m for m in lines if m.startswith("progress: llm: loading a model")]
    batch = [m for m in lines if "2 in this batch" in m]
    assert len(loading) >= 2 and len(batch) >= 2, lines
    assert len(lines) == len(loading) + len(batch), lines  # nothing once the batch is done
