"""Profiles of robots whose state is joint positions: arms in TOML, JSON and run.json, their
whole-profile checks, the arms read from LeRobot's value names, and the forward-kinematics track."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import numpy as np
import pytest

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.errors import InputError
from ecot_annotate.profiles import load_profile
from ecot_annotate.profiles.arms import infer_arms
from ecot_annotate.profiles.choice import Origin, ProfileChoice
from ecot_annotate.profiles.kinematics import arm_tracks
from ecot_annotate.profiles.layout import IMAGE, TENSOR, DatasetLayout, Feature
from ecot_annotate.profiles.model import ArmProfile, DatasetProfile, profile_from_mapping
from ecot_annotate.profiles.resolve import profile_summary, with_kinematics
from ecot_annotate.profiles.toml_text import profile_toml
from ecot_annotate.profiles.validate import profile_problems
from ecot_annotate.store.run_config import config_from_dict
from tests.support.joint_datasets import SO101, names

LEFT = ArmProfile("left", (0, 1, 2, 3, 4), 5, True, "so101", None, "degrees")
RIGHT = ArmProfile("right", (6, 7, 8, 9, 10), 11, True, None, None, "range")


def _profile(*arms: ArmProfile) -> DatasetProfile:
    return DatasetProfile(
        name="two_arms",
        image_key="observation/image",
        instruction_key=None,
        file_path_key=None,
        episode_id_key=None,
        motion_from="joints",
        xyz_indices=(),
        rotation="none",
        rotation_indices=(),
        gripper_from="none",
        gripper_index=None,
        arms=arms or (LEFT, RIGHT),
    )


def _layout(state_width: int = 12) -> DatasetLayout:
    steps = {
        "observation/image": Feature(IMAGE, "uint8", (8, 8, 3)),
        "observation/state": Feature(TENSOR, "float32", (state_width,)),
        "action": Feature(TENSOR, "float32", (state_width,)),
    }
    return DatasetLayout("two_arms", steps)


def test_arms_round_trip_through_toml_json_and_run_json(tmp_path):
    profile = _profile()
    toml = tmp_path / "two.toml"
    toml.write_text(profile_toml(profile))
    assert "[[arms]]" in toml.read_text()
    assert load_profile(str(toml)) == profile
    as_json = tmp_path / "two.json"
    as_json.write_text(json.dumps(profile.as_dict()))
    assert load_profile(str(as_json)) == profile
    config = AnnotateConfig(input="in", out="out", dataset_profile=profile)
    recorded = json.loads(json.dumps(asdict(config)))
    assert config_from_dict(recorded).dataset_profile == profile


def test_a_cartesian_profile_keeps_its_digest_material():
    assert "arms" not in DatasetProfile(name="plain").as_dict()


def test_unknown_arm_keys_are_named():
    with pytest.raises(InputError, match=r"arms: unknown keys \['joints'\]"):
        profile_from_mapping({"name": "x", "arms": [{"name": "a", "joints": [0]}]}, "test")


def test_arms_are_checked_whole_every_problem_at_once():
    bad = replace(RIGHT, joint_indices=(5, 6, 7, 8, 20), joint_units="furlongs")
    short = replace(LEFT, joint_indices=(0, 1, 2))
    problems = "\n".join(profile_problems(_profile(short, bad), _layout()))
    assert "arms[0] (left).joint_indices: 3 joints, but the model 'so101' has 5" in problems
    assert "arms[1] (right).joint_units: 'furlongs' is not one of" in problems
    assert "arms[1] (right).joint_indices: index 20 is outside the state (12 values)" in problems
    assert "index 5 is also used by arms[0] (left).gripper_index" in problems
    missing = replace(_profile(), arms=())
    assert any("no arm is listed" in p for p in profile_problems(missing, _layout()))
    assert profile_problems(_profile(), _layout()) == []


def test_the_profile_block_says_model_units_and_whether_approximate():
    text = profile_summary(_profile(), ProfileChoice(Origin.FILE, "a_test.toml"))
    assert (
        "arm left     joints [0,1,2,3,4] in degrees (exact); model so101; gripper state[5]" in text
    )
    assert "arm right    joints [6,7,8,9,10] in range (approximate); model none" in text
    assert "--kinematics FILE.urdf --ee-link LINK for full moves" in text
    assert text.startswith("profile two_arms (profile a_test.toml)")


def test_kinematics_option_gives_every_arm_the_model():
    both = with_kinematics(_profile(), "arm.urdf", "tool")
    assert {(a.kinematics, a.ee_link) for a in both.arms} == {("arm.urdf", "tool")}
    with pytest.raises(InputError, match="joint positions"):
        with_kinematics(DatasetProfile(name="cartesian"), "arm.urdf", "tool")


def test_joint_units_option_gives_every_arm_the_unit_and_keeps_the_model():
    both = with_kinematics(_profile(), None, None, "ticks")
    assert [(a.kinematics, a.joint_units, a.approximate) for a in both.arms] == [
        ("so101", "ticks", True),
        (None, "ticks", True),
    ]
    with pytest.raises(InputError, match="^--joint-units serves a robot whose state is joint"):
        with_kinematics(DatasetProfile(name="cartesian"), None, None, "degrees")


def test_arms_from_lerobot_names():
    (arm,) = infer_arms(names(SO101), "so101_follower").arms
    assert (arm.name, arm.joint_indices, arm.gripper_index, arm.kinematics) == (
        "arm",
        (0, 1, 2, 3, 4),
        5,
        "so101",
    )
    left, right = infer_arms(names(SO101, ("left", "right")), "bi_so101_follower").arms
    assert (left.name, right.name, right.joint_indices, right.gripper_index) == (
        "left",
        "right",
        (6, 7, 8, 9, 10),
        11,
    )
    aloha = infer_arms([f"motor_{i}" for i in range(14)], "aloha").arms
    assert [(a.name, a.gripper_index) for a in aloha] == [("left", 6), ("right", 13)]
    (unknown,) = infer_arms([f"joint_{i}" for i in range(7)] + ["gripper"], "my_arm").arms
    assert unknown.kinematics is None and unknown.gripper_index == 7


def test_joint_units_come_from_the_recorded_range_and_the_arms_convention():
    so101 = names(SO101)
    low, high = (-90.0, -80.0, -60.0, -40.0, -120.0, 0.0), (90.0, 80.0, 60.0, 40.0, 120.0, 100.0)
    assert infer_arms(so101, "so101_follower", low, high).arms[0].joint_units == "degrees"
    within = tuple(v / 2 for v in low), tuple(v / 2 for v in high)
    assert infer_arms(so101, "so101_follower", *within).arms[0].joint_units == "range"
    assert infer_arms(so101, "so101_follower").arms[0].joint_units == "range"  # no stats
    wild = (0.0,) * 8, (9000.0,) * 8
    seven = [f"joint_{i}" for i in range(7)] + ["gripper"]
    assert infer_arms(seven, "my_arm", *wild).arms[0].joint_units == "radians"  # never stops


def test_the_models_joint_order_is_kept_whatever_the_datasets_order():
    shuffled = ["elbow_flex.pos", "shoulder_pan.pos", "gripper.pos", "shoulder_lift.pos"]
    shuffled += ["wrist_roll.pos", "wrist_flex.pos"]
    (arm,) = infer_arms(shuffled, "so101_follower").arms
    assert arm.joint_indices == (1, 3, 0, 5, 4) and arm.gripper_index == 2


def _so101(units: str = "degrees") -> DatasetProfile:
    return replace(_profile(replace(LEFT, name="arm", joint_units=units)))


def test_the_track_is_forward_kinematics_of_the_joints():
    from ecot_annotate.kinematics import KinematicModel

    model = KinematicModel.builtin("so101")
    radians = np.array([[0.0, 0.0, 0.0, 0.0, 0.0, 40.0], [0.3, -0.5, 0.4, 0.2, 1.0, 10.0]])
    degrees = radians.copy()
    degrees[:, :5] = np.degrees(radians[:, :5])
    (track,) = arm_tracks(_so101(), degrees.astype(np.float32), degrees.astype(np.float32))
    xyz, rpy = model.fk(radians[:, :5])
    assert np.allclose(track.xyz, xyz, atol=1e-5) and np.allclose(track.rotation, rpy, atol=1e-4)
    assert track.source == "forward kinematics (so101, degrees)"
    assert list(track.gripper) == [40.0, 10.0]
    assert track.name == "arm" and track.has_pose


def test_an_arm_with_no_model_keeps_its_joints_in_turns():
    profile = _profile(replace(RIGHT, joint_indices=(0, 1), gripper_index=2, name="arm"))
    state = np.array([[100.0, -100.0, 50.0]], dtype=np.float32)
    (arm,) = arm_tracks(profile, state, state)
    assert not arm.has_pose and arm.xyz is None and arm.rotation is None  # no fake position
    assert np.allclose(arm.joints, [[0.5, -0.5]]) and arm.source.startswith("joint speed")


@pytest.mark.parametrize(
    ("prefixes", "arms"),
    [
        (("l_", "r_"), ["left", "right"]),
        (("arm1_", "arm2_"), ["first", "second"]),
        (("arm_0_", "arm_1_"), ["first", "second"]),
        (("", ""), ["left", "right"]),  # bi_ robot type, the same names twice
    ],
)
def test_two_arms_named_any_common_way_each_get_their_gripper(prefixes, arms):
    joints = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
    found = infer_arms([f"{p}{j}" for p in prefixes for j in joints], "bi_so101_follower")
    assert [a.name for a in found.arms] == arms
    assert [(a.gripper_index, a.kinematics) for a in found.arms] == [(5, "so101"), (11, "so101")]


def test_metadata_groups_give_arms_and_hands():
    from ecot_annotate.profiles.layout import ValueGroup

    groups = (
        ValueGroup("left_arm", 0, 7),
        ValueGroup("left_hand", 7, 13),
        ValueGroup("waist", 13, 16),
        ValueGroup("right_arm", 16, 23),
        ValueGroup("right_hand", 23, 29),
    )
    low, high = (0.0,) * 29, (1.0,) * 24 + (1.5,) + (1.0,) * 4
    found = infer_arms([f"motor_{i}" for i in range(29)], "GR1ArmsOnly", low, high, groups)
    left, right = found.arms
    assert (left.joint_indices, right.joint_indices) == (tuple(range(7)), tuple(range(16, 23)))
    assert right.gripper_index == 24 and not right.gripper_open_is_high
    assert right.hand_indices == tuple(range(23, 29))  # the hand grips with all its values
    assert left.kinematics is None and right.kinematics is None


def test_a_model_is_kept_only_where_the_joints_match_it_one_for_one():
    b601 = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_yaw"]
    found = infer_arms([*b601, "wrist_roll", "gripper"], "seeed_b601_dm_follower")
    (arm,) = found.arms
    assert arm.kinematics is None and arm.joint_indices == (0, 1, 2, 3, 4, 5)
    assert any("wrist_yaw has no place in it" in d.text for d in found.decisions)
    (numbered,) = infer_arms([f"j{i}" for i in range(1, 7)], "so101_follower").arms
    assert (numbered.kinematics, numbered.gripper_index) == ("so101", 5)
    (other,) = infer_arms(["waist", "a", "b", "c", "d", "gripper"], "so101_follower").arms
    assert other.kinematics is None


def test_image_key_none_in_a_profile_file_means_no_camera():
    """Before: `image_key = "none"` was refused; only `image_key = ""` worked."""
    assert profile_from_mapping({"name": "x", "image_key": "none"}, "test").image_key is None


def test_arms_named_in_camel_case_or_by_a_dotted_prefix_with_their_hands():
    """Unitree's kLeftShoulderPitch ... kRightHandIndex; `left.joint_1.pos` ... `right_hand.joint_10.pos`."""
    joints = ["ShoulderPitch", "ShoulderRoll", "Elbow"]
    fingers = ["HandPinky", "HandIndex"]
    unitree = [f"k{side}{j}" for side in ("Left", "Right") for j in joints]
    unitree += [f"k{side}{f}" for side in ("Left", "Right") for f in fingers]
    left, right = infer_arms(unitree, "Unitree_G1_Inspire").arms
    assert (left.name, left.joint_indices, right.joint_indices) == ("left", (0, 1, 2), (3, 4, 5))
    assert left.gripper_index in (6, 7) and right.gripper_index in (8, 9)  # a finger of its hand
    assert (left.hand_indices, right.hand_indices) == ((6, 7), (8, 9))
    dotted = [f"{side}.joint_{i}.pos" for side in ("left", "right") for i in (1, 2, 3)]
    dotted += [f"{side}_hand.joint_{i}.pos" for side in ("left", "right") for i in (1, 2)]
    left, right = infer_arms(dotted, "lingzu").arms
    assert (left.joint_indices, right.joint_indices) == ((0, 1, 2), (3, 4, 5))
    assert left.gripper_index in (6, 7) and right.gripper_index in (8, 9)


def test_a_gripper_only_in_the_action_is_the_arms_gripper_command():
    """A Dobot CR5 recording: six joints in the state, the gripper only as action[6]."""
    from ecot_annotate.profiles.infer import infer_profile
    from ecot_annotate.profiles.layout import LEROBOT

    joints = tuple(f"joint{i}" for i in range(1, 7))
    steps = {
        "observation.images.top": Feature(IMAGE, "uint8", (8, 8, 3)),
        "observation.state": Feature(TENSOR, "float32", (6,), names=joints),
        "action": Feature(TENSOR, "float32", (7,), names=(*joints, "gripper")),
    }
    inferred = infer_profile(DatasetLayout("cr5", steps, {}, LEROBOT, 10.0, (), "cr5"))
    (arm,) = inferred.profile.arms
    assert (arm.gripper_index, arm.gripper_action_index) == (None, 6)
    assert any("gripper only in the action" in d.text for d in inferred.decisions)
    unnamed = {**steps, "action": Feature(TENSOR, "float32", (7,))}
    inferred = infer_profile(DatasetLayout("cr5", unnamed, {}, LEROBOT, 10.0, (), "cr5"))
    assert inferred.profile.arms[0].gripper_action_index == 6


def test_a_hand_grips_with_all_its_fingers():
    """Three fingers close in turn (steps 2, 4 and 6, each by its own amount): the hand's grip
    is their mean, and moves with each, most with the finger that moves most. A gripper that is
    one value is that value."""
    import numpy as np

    from ecot_annotate.profiles.model import ArmProfile

    steps = np.arange(10)[:, None]
    fingers = (steps >= np.array([2, 4, 6])).astype(np.float32) * np.array([90.0, 30.0, 10.0])
    state = np.hstack([np.zeros((10, 2), np.float32), fingers])
    hand = ArmProfile("right", (0, 1), gripper_index=2, hand_indices=(2, 3, 4))
    grip = hand.grip(state)
    assert grip.dtype == state.dtype
    assert np.allclose(grip, [0, 0, 30, 30, 40, 40, 130 / 3, 130 / 3, 130 / 3, 130 / 3])
    assert np.allclose(ArmProfile("arm", (0, 1), gripper_index=3).grip(state), fingers[:, 1])
    assert ArmProfile("arm", (0, 1)).grip(state) is None
