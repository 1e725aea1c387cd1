"""The review-queue benchmark's measure on real labels: per-episode boundary figures, the overlap
of the worst quarter with the queue's top quarter, and finding (or skipping) labelled sets."""

from __future__ import annotations

import pytest

from benchmarks.bench_review_queue import Boundaries, episode_boundaries, worst_in_top

LABELS = [(0, "reach"), (30, "grasp"), (40, "carry")]


def _subtasks(starts: list[int], n: int = 60) -> list[str]:
    return [f"s{sum(t >= s for s in starts)}" for t in range(n)]


def test_boundaries_where_the_labels_are_score_one():
    found = episode_boundaries("e", _subtasks([30, 40]), LABELS, hz=10.0)
    assert found == Boundaries("e", 1.0, 0.0)


def test_boundaries_two_and_a_half_seconds_late_miss():
    found = episode_boundaries("e", _subtasks([55, 65], n=80), LABELS, hz=10.0)
    assert found.f1 == 0.0
    assert found.distance_s == pytest.approx((1.5 + 2.5 + 2.5 + 1.5) / 4)


def test_no_boundaries_at_all_are_the_whole_episode_away():
    found = episode_boundaries("e", ["s0"] * 60, LABELS, hz=10.0)
    assert (found.f1, found.distance_s) == (0.0, 6.0)


def test_the_worst_quarter_is_counted_in_the_top_quarter_of_the_whole_queue():
    queue = [f"e{i}" for i in range(8)]
    scored = [Boundaries(f"e{i}", f1=i / 8, distance_s=1.0) for i in range(8)]  # e0 worst
    assert worst_in_top(queue, scored) == (2, 2)
    assert worst_in_top(list(reversed(queue)), scored) == (0, 2)
    ties = [Boundaries("e7", 0.0, 5.0), Boundaries("e6", 0.0, 1.0), *scored[:6]]
    assert worst_in_top(queue[6:] + queue[:6], ties) == (2, 2)  # F1 ties go to the farther


def test_the_worst_quarter_of_five_is_one_or_rounded_up_two():
    queue = [f"e{i}" for i in range(8)]
    scored = [Boundaries(f"e{i}", f1=i / 5, distance_s=1.0) for i in (0, 5, 6, 7, 1)]
    assert worst_in_top(queue, scored) == (1, 1)
    assert worst_in_top(queue, scored, rounded_up=True) == (2, 2)
    assert worst_in_top(list(reversed(queue)), scored, rounded_up=True) == (0, 2)
