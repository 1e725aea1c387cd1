"""Picking a built-in arm from robot_type and joint names, and finding its joints' columns."""

from __future__ import annotations

import pytest

from ecot_annotate.kinematics import BUILTIN_ARMS, pick_arm

LEROBOT_SO = [
    "shoulder_pan.pos",
    "shoulder_lift.pos",
    "elbow_flex.pos",
    "wrist_flex.pos",
    "wrist_roll.pos",
    "gripper.pos",
]
ALOHA = ["waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper"]


@pytest.mark.parametrize(
    ("robot_type", "expected"),
    [
        ("so101_follower", "so101"),
        ("bi_so101_follower", "so101"),
        ("so100_follower", "so100"),
        ("SO-100", "so100"),
        ("koch_follower", "koch"),
        ("koch_bimanual", "koch"),
        ("aloha", "viperx300"),
        ("widowx", "widowx250"),
        ("agilex_piper", "piper"),
        ("franka_panda", "panda"),
        ("ur5e", "ur5e"),
        ("berkeley_autolab_ur5", "ur5"),
        ("UR10e", "ur10e"),
        ("xarm6", "xarm6"),
        ("xArm7", "xarm7"),
    ],
)
def test_robot_type_picks_the_arm(robot_type, expected):
    assert pick_arm(robot_type, []) == expected


def test_robot_type_wins_over_joint_names():
    assert pick_arm("so100_follower", LEROBOT_SO) == "so100"
    assert pick_arm("koch_follower", LEROBOT_SO) == "koch"


def test_joint_names_pick_when_robot_type_is_unknown_or_missing():
    assert pick_arm(None, LEROBOT_SO) == "so101"
    assert pick_arm("my_homemade_rig", LEROBOT_SO) == "so101"
    # LeRobot v2.0 datasets prefix the arm's names with main_; LeKiwi with arm_.
    assert pick_arm(None, [f"main_{n[:-4]}" for n in LEROBOT_SO]) == "so101"
    assert pick_arm("lekiwi", []) == "so101"
    assert BUILTIN_ARMS["so101"].columns([f"arm_{n}" for n in LEROBOT_SO] + ["x.vel", "y.vel"]) == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert (
        pick_arm(None, [f"left_{n}" for n in ALOHA] + [f"right_{n}" for n in ALOHA]) == "viperx300"
    )
    assert (
        pick_arm(None, [f"panda_joint{i}" for i in range(1, 8)] + ["panda_finger_joint1"])
        == "panda"
    )
    ur = [
        f"{j}_joint"
        for j in ("shoulder_pan", "shoulder_lift", "elbow", "wrist_1", "wrist_2", "wrist_3")
    ]
    assert pick_arm(None, ur) == "ur5e"
    assert pick_arm(None, [n.upper() + ".pos" for n in ur]) == "ur5e"


def test_ambiguous_or_unknown_names_pick_nothing():
    # joint1..joint6 is Piper's and xArm 6's naming alike: joint names alone must not guess.
    assert pick_arm(None, [f"joint{i}" for i in range(1, 7)]) is None
    assert pick_arm(None, ["x", "y", "z", "roll", "pitch", "yaw", "gripper"]) is None
    assert pick_arm(None, LEROBOT_SO[:3]) is None
    assert pick_arm("", []) is None


def test_columns_follow_model_order_and_pick_one_side():
    so101 = BUILTIN_ARMS["so101"]
    shuffled = [
        "gripper.pos",
        "wrist_roll.pos",
        "shoulder_pan.pos",
        "wrist_flex.pos",
        "shoulder_lift.pos",
        "elbow_flex.pos",
    ]
    assert so101.columns(shuffled) == [2, 4, 5, 3, 1]
    names = [f"left_{n}" for n in LEROBOT_SO] + [f"right_{n}" for n in LEROBOT_SO]
    assert so101.columns(names, side="left") == [0, 1, 2, 3, 4]
    assert so101.columns(names, side="right") == [6, 7, 8, 9, 10]
    assert BUILTIN_ARMS["piper"].columns([f"joint_{i}" for i in range(1, 7)]) == [0, 1, 2, 3, 4, 5]
    assert BUILTIN_ARMS["panda"].columns(["panda_joint1"]) is None


def test_one_function_reads_the_side_of_a_name():
    from ecot_annotate.kinematics.catalog import arm_side, normalize_joint_name

    for name in ("left_shoulder_pan.pos", "left.shoulder_pan.pos", "l_shoulder_pan.pos"):
        assert arm_side(name) == ("left", "shoulder_pan.pos")
    assert arm_side("gripper_right") == ("right", "gripper")
    assert arm_side("arm2_j1") == ("#2", "j1")
    assert arm_side("shoulder_pan.pos") is None and arm_side("leftover_joint") is None
    assert normalize_joint_name("LEFT_Shoulder_Pan.pos") == "shoulder_pan"


def test_every_arm_states_a_known_convention_and_an_existing_model():
    for info in BUILTIN_ARMS.values():
        assert info.convention in ("radians", "degrees", "range", "ticks")
        assert info.urdf.is_file()
        assert len(info.aliases) == len(info.joint_names)


def test_lerobots_so_follower_records_degrees():
    from ecot_annotate.kinematics.catalog import recorder_convention

    assert recorder_convention("so_follower", "so101")[0] == "degrees"
    assert recorder_convention("bi_so_follower", "so101")[0] == "degrees"
    assert recorder_convention("so101_follower", "so101") == (
        "range",
        "so101's usual recorder writes range",
    )
