"""Motion of robots whose state is joint positions: primitives from the forward-kinematics track
name the direction the model predicts; an arm with no model moves or stops by joint speed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ecot_annotate.config import MotionConfig
from ecot_annotate.geometry.motion import JOINT_THRESHOLD, arm_primitives, joint_primitives
from ecot_annotate.profiles.kinematics import arm_tracks
from ecot_annotate.profiles.model import ArmProfile, DatasetProfile

CONFIG = MotionConfig(window=4, translation_threshold=0.01, rotation_threshold=10.0)


def _so101_profile() -> DatasetProfile:
    arm = ArmProfile("arm", (0, 1, 2, 3, 4), 5, True, "so101", None, "radians")
    return DatasetProfile(name="so101", motion_from="joints", gripper_from="none", arms=(arm,))


def test_raising_the_shoulder_moves_the_so101_the_way_its_model_says():
    from ecot_annotate.kinematics import KinematicModel

    steps = 12
    q = np.zeros((steps, 6), dtype=np.float32)
    q[:, 1] = np.linspace(0.0, -0.8, steps)  # shoulder_lift turns back: the arm rises
    q[:, 2] = 0.3
    (track,) = arm_tracks(_so101_profile(), q, q)
    start, end = KinematicModel.builtin("so101").fk(q[[0, -1], :5].astype(np.float64))[0]
    dz = (end - start)[2]
    assert abs(dz) > 0.03  # the model moves the gripper a few centimetres in height
    want = "up" if dz > 0 else "down"
    names = arm_primitives(track, CONFIG)
    assert all(want in name for name in names[:-4]), names


def test_an_arm_with_no_model_moves_while_a_joint_turns():
    turns = np.zeros((12, 3))
    turns[4:8, 0] = np.linspace(0, 4 * JOINT_THRESHOLD, 4)
    turns[8:, 0] = 4 * JOINT_THRESHOLD
    gripper = np.where(np.arange(12) < 9, 1.0, 0.0)
    names = joint_primitives(turns, gripper, replace(CONFIG, gripper_threshold=0.5))
    assert names[0] == "stop" and names[4] == "move"
    assert "close gripper" in names[8] and names[-1] == names[-2]
    assert set(names) <= {"stop", "move", "close gripper", "move, close gripper"}
