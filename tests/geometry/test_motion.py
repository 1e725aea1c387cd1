"""Motion primitives: synthetic trajectories through every name ECoT uses."""

import numpy as np
import pytest

from ecot_annotate.config import MotionConfig
from ecot_annotate.geometry.motion import classify, primitives


def _delta(dx=0.0, dy=0.0, dz=0.0, droll=0.0, dpitch=0.0, dyaw=0.0, dgrip=0.0):
    return np.array([dx, dy, dz, droll, dpitch, dyaw, dgrip])


@pytest.mark.parametrize(
    ("delta", "name"),
    [
        (_delta(), "stop"),
        (_delta(dx=0.1), "move forward"),
        (_delta(dx=-0.1), "move backward"),
        (_delta(dy=0.1), "move left"),
        (_delta(dy=-0.1), "move right"),
        (_delta(dz=0.1), "move up"),
        (_delta(dz=-0.1), "move down"),
        (_delta(dx=0.06, dy=0.06), "move forward left"),
        (_delta(dx=-0.04, dy=-0.04), "move backward right"),
        (_delta(droll=0.5), "tilt up"),
        (_delta(dpitch=-0.5), "tilt down"),
        (_delta(dyaw=0.5), "rotate counterclockwise"),
        (_delta(dyaw=-0.5), "rotate clockwise"),
        (_delta(dgrip=-1.0), "close gripper"),
        (_delta(dgrip=1.0), "open gripper"),
        (_delta(dx=0.1, dyaw=-0.5, dgrip=-1.0), "move forward, rotate clockwise, close gripper"),
        (_delta(dz=0.1, droll=0.5, dgrip=1.0), "move up, tilt up, open gripper"),
    ],
)
def test_every_name(delta, name):
    assert classify(delta, MotionConfig()) == name


def test_small_motion_is_stop_and_dominant_axis_wins():
    assert classify(_delta(dx=0.02, dy=-0.01), MotionConfig()) == "stop"
    # A large move is rescaled: the minor axis no longer passes the threshold.
    assert classify(_delta(dx=0.3, dy=0.05), MotionConfig()) == "move forward"
    assert (
        classify(_delta(dx=0.3, dy=0.05), MotionConfig(cap_translation=False))
        == "move forward left"
    )


def test_three_axes_need_the_cap_off():
    # ECoT's cap rescales |dx|+|dy|+|dz| to 3 x threshold, so three equal axes land exactly on it.
    three = _delta(dx=-0.06, dy=-0.06, dz=-0.06)
    assert classify(three, MotionConfig()) == "stop"
    assert classify(three, MotionConfig(cap_translation=False)) == "move backward right down"


def test_thresholds_and_window_are_configuration():
    assert classify(_delta(dx=0.02), MotionConfig(translation_threshold=0.01)) == "move forward"
    xyz = np.cumsum(np.full((12, 3), [0.012, 0.0, 0.0]), axis=0)
    rot, grip = np.zeros((12, 3)), np.ones(12)
    assert primitives(xyz, rot, grip, MotionConfig(window=2))[0] == "stop"
    assert primitives(xyz, rot, grip, MotionConfig(window=4))[0] == "move forward"


def test_trajectory_one_name_per_step_and_last_repeats():
    t = 20
    xyz = np.zeros((t, 3))
    xyz[:10, 2] = np.linspace(0.2, 0.0, 10)
    xyz[10:, 2] = 0.0
    grip = np.ones(t)
    grip[12:] = 0.0
    names = primitives(xyz, np.zeros((t, 3)), grip)
    assert len(names) == t
    assert names[0] == "move down"
    assert "close gripper" in names[10]
    assert names[-1] == names[-2]


def test_angles_wrap_around_pi():
    xyz, grip = np.zeros((5, 3)), np.ones(5)
    rot = np.zeros((5, 3))
    rot[:, 2] = [3.1, 3.12, -3.13, -3.11, -3.1]  # crosses +pi: a small counterclockwise turn
    assert primitives(xyz, rot, grip)[0] == "stop"


def test_empty_and_single_step():
    assert primitives(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0)) == []
    assert primitives(np.zeros((1, 3)), np.zeros((1, 3)), np.ones(1)) == ["stop"]
