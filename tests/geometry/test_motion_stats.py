"""The figures of how an episode moved, which the review queue compares episodes by."""

import numpy as np

from ecot_annotate.geometry.motion_stats import motion_statistics


def _line(n: int = 40, step: float = 0.02) -> np.ndarray:
    return np.outer(np.arange(n), [step, 0.0, 0.0])


def test_a_straight_path_has_its_length_and_speed_and_no_jitter():
    figures = motion_statistics(_line(), ["move forward"] * 40)
    assert figures["steps"] == 40
    assert np.isclose(figures["path length"], 0.78)
    assert np.isclose(figures["speed"], 0.02)
    assert figures["jitter"] < 1e-9
    assert figures["gripper switches"] == 0 and figures["pause share"] == 0


def test_jitter_grows_with_noise_and_does_not_depend_on_the_units():
    rng = np.random.default_rng(0)
    shaken = _line() + rng.normal(0, 0.004, (40, 3))
    prims = ["move forward"] * 40
    jitter = motion_statistics(shaken, prims)["jitter"]
    assert jitter > 0.3
    assert np.isclose(motion_statistics(shaken * 1000, prims)["jitter"], jitter)


def test_gripper_switches_and_pauses_are_read_from_the_primitives():
    prims = ["stop"] * 4 + ["close gripper"] * 3 + ["move up"] * 10 + ["open gripper"] * 3
    figures = motion_statistics(_line(20), prims)
    assert figures["gripper switches"] == 2
    assert figures["pause share"] == 4 / 20


def test_one_step_is_no_motion():
    figures = motion_statistics(np.zeros((1, 3)), ["stop"])
    assert figures["path length"] == 0 and figures["jitter"] == 0 and figures["steps"] == 1
