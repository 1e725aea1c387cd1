"""The evidence the review queue weighs: its scale, and which motion counts as unlike the rest."""

import numpy as np
import pytest

from ecot_annotate.inspect.evidence import (
    MIN_EPISODES,
    OUTLIER_Z,
    motion_outliers,
    strength,
)


def test_strength_is_half_at_its_unit_and_grows_without_reaching_one():
    assert strength(0, 4) == 0
    assert strength(4, 4) == 0.5
    assert strength(1, 4) < strength(10, 4) < strength(100, 4) < 1


def _run(values: list[float], name: str = "jitter", steps: float = 50.0) -> dict:
    return {f"e{i:03d}": {name: v, "steps": steps} for i, v in enumerate(values)}


def test_one_episode_far_from_the_others_is_the_outlier():
    rng = np.random.default_rng(0)
    values = list(rng.normal(0.33, 0.02, 40)) + [1.0]
    found = motion_outliers(_run(values))
    flagged = {key: o for key, o in found.items() if o}
    assert list(flagged) == ["e040"]
    [outlier] = flagged["e040"]
    assert outlier.figure == "jitter" and outlier.z > OUTLIER_Z
    assert outlier.median == pytest.approx(np.median(values))


def test_a_run_that_mostly_agrees_still_has_a_spread():
    """Half the episodes or more at one value: the mean absolute deviation stands in for the MAD."""
    found = motion_outliers(_run([0.3] * 30 + [0.31, 0.9]))
    assert [k for k, o in found.items() if o] == ["e031"]


def test_counted_figures_are_not_resolved_finer_than_one():
    """Every episode grasps once; one more grasp and release is not an outlier, many more are."""
    once = _run([2.0] * 30 + [4.0, 10.0], name="gripper switches")
    assert [k for k, o in motion_outliers(once).items() if o] == ["e031"]


def test_a_pause_share_is_not_resolved_finer_than_one_step():
    shares = [2 / 50] * 20 + [3 / 50] * 10 + [5 / 50, 20 / 50]
    assert [k for k, o in motion_outliers(_run(shares, "pause share")).items() if o] == ["e031"]


def test_too_few_episodes_have_no_outliers():
    values = [0.33] * (MIN_EPISODES - 2) + [5.0]
    assert not any(motion_outliers(_run(values)).values())


def test_two_arms_are_compared_arm_by_arm():
    stats = {
        f"e{i:03d}": {"left: jitter": 0.3 + 0.01 * (i % 3), "right: jitter": 0.5 + 0.01 * (i % 3)}
        for i in range(20)
    }
    stats["e005"]["right: jitter"] = 3.0
    found = motion_outliers(stats)
    assert [(k, [o.figure for o in v]) for k, v in found.items() if v] == [
        ("e005", ["right: jitter"])
    ]
