"""Loading a URDF the user gives, and the one-line errors for one that cannot serve."""

from __future__ import annotations

import numpy as np
import pytest

from ecot_annotate.errors import InputError
from ecot_annotate.kinematics import KinematicModel

# A two-link planar arm with a finger on a side branch and a continuous wrist: the chain to "tip"
# must hold shoulder, elbow and wrist, and leave the finger out.
PLANAR = """<?xml version="1.0"?>
<!-- Source: a test arm, 0.3 m and 0.2 m links -->
<robot name="planar">
  <link name="base"/><link name="upper"/><link name="fore"/><link name="hand"/><link name="finger"/><link name="tip"/>
  <joint name="shoulder" type="revolute"><parent link="base"/><child link="upper"/>
    <origin xyz="0 0 0.1" rpy="0 0 0"/><axis xyz="0 0 1"/><limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
  <joint name="elbow" type="revolute"><parent link="upper"/><child link="fore"/>
    <origin xyz="0.3 0 0" rpy="0 0 0"/><axis xyz="0 0 1"/><limit lower="-2.5" upper="2.5" effort="1" velocity="1"/></joint>
  <joint name="wrist" type="continuous"><parent link="fore"/><child link="hand"/>
    <origin xyz="0.2 0 0" rpy="0 0 0"/><axis xyz="1 0 0"/></joint>
  <joint name="finger_joint" type="prismatic"><parent link="hand"/><child link="finger"/>
    <origin xyz="0 0.02 0" rpy="0 0 0"/><axis xyz="0 1 0"/><limit lower="0" upper="0.04" effort="1" velocity="1"/></joint>
  <joint name="tip_joint" type="fixed"><parent link="hand"/><child link="tip"/><origin xyz="0.05 0 0" rpy="0 0 0"/></joint>
</robot>
"""


@pytest.fixture
def planar(tmp_path):
    path = tmp_path / "planar.urdf"
    path.write_text(PLANAR)
    return path


def test_user_urdf_chain_and_hand_worked_poses(planar):
    model = KinematicModel.load(str(planar), "tip")
    assert model.name == "planar"
    assert model.joint_names == ("shoulder", "elbow", "wrist")
    assert np.allclose(model.lower, [-2, -2.5, -np.pi]) and np.allclose(
        model.upper, [2, 2.5, np.pi]
    )
    assert "0.3 m and 0.2 m links" in model.source and str(planar) in model.source
    q = np.array([[0.0, 0.0, 0.0], [np.pi / 2, 0.0, 0.0], [0.0, np.pi / 2, 0.7]])
    xyz, rpy = model.fk(q)
    # Worked by hand: the tip lies 0.55 m along the chain, 0.1 m up.
    assert np.allclose(xyz, [[0.55, 0, 0.1], [0, 0.55, 0.1], [0.3, 0.25, 0.1]], atol=1e-9)
    assert np.allclose(rpy, [[0, 0, 0], [0, 0, np.pi / 2], [0.7, 0, np.pi / 2]], atol=1e-9)


def test_fk_of_no_steps_and_of_a_wrong_width(planar):
    model = KinematicModel.load(str(planar), "tip")
    xyz, rpy = model.fk(np.zeros((0, 3)))
    assert xyz.shape == (0, 3) and rpy.shape == (0, 3)
    with pytest.raises(InputError, match="3 joints"):
        model.fk(np.zeros((5, 4)))


def test_missing_link_lists_the_links(planar):
    with pytest.raises(InputError) as err:
        KinematicModel.load(str(planar), "gripper_frame_link")
    message = str(err.value)
    assert "\n" not in message
    assert str(planar) in message and "gripper_frame_link" in message
    assert "base, upper, fore, hand, finger, tip" in message


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("<robot><link name='a'>", "not valid XML"),
        ("<sdf><model/></sdf>", "not a URDF"),
        (
            "<robot name='r'><link name='a'/><joint name='j' type='revolute'><parent link='a'/></joint></robot>",
            "cannot be read",
        ),
    ],
)
def test_bad_urdf_is_one_line(tmp_path, text, match):
    path = tmp_path / "bad.urdf"
    path.write_text(text)
    with pytest.raises(InputError, match=match) as err:
        KinematicModel.load(str(path), "a")
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_missing_file_and_unknown_builtin(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        KinematicModel.load(str(tmp_path / "none.urdf"), "tip")
    with pytest.raises(InputError, match="choose from so101"):
        KinematicModel.builtin("r2d2")
