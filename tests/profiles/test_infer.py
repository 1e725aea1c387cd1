"""Layout inference from a dataset's own description, and the file `profile --write` produces."""

from dataclasses import replace

from ecot_annotate.profiles import load_profile
from ecot_annotate.profiles.describe import layout_from_doc, layout_from_names
from ecot_annotate.profiles.infer import infer_profile, require
from ecot_annotate.profiles.layout import (
    IMAGE,
    TENSOR,
    TEXT,
    DatasetLayout,
    Feature,
    lerobot_layout,
)
from ecot_annotate.profiles.toml_text import profile_toml
from ecot_annotate.sources.rlds import RldsDataset


def test_oxe_description_habits_are_read_into_indices():
    hydra = layout_from_doc(
        "Robot state, consists of [3x EEF position,4x EEF orientation in quaternion,3x EEF "
        "orientation in euler angle,7x robot joint angles, 7x robot joint velocities,3x gripper state.",
        27,
    )
    assert (hydra.xyz, hydra.rotation, hydra.rotation_indices, hydra.gripper) == (
        (0, 1, 2),
        "euler",
        (7, 8, 9),
        24,
    )
    taco = layout_from_doc(
        "EE position (3), EE orientation in euler angles (3), gripper width (1), joint positions (7), gripper action (1)",
        15,
    )
    assert (taco.xyz, taco.rotation_indices, taco.gripper) == ((0, 1, 2), (3, 4, 5), 6)
    joints = layout_from_doc("Contains the robot joint states (as absolute joint angles)", 7)
    assert joints.joints_only and not joints.xyz


def test_a_description_whose_counts_do_not_add_up_is_not_trusted():
    """Bridge's card describes a 10-value state for its 7 values: nothing is guessed from it."""
    doc = "Robot state, consists of [7x robot joint angles, 2x gripper position, 1x door opening angle]."
    assert layout_from_doc(doc, 7) is None


def test_lerobot_names_give_indices_and_the_quaternion_order():
    euler = layout_from_names(["x", "y", "z", "roll", "pitch", "yaw", "pad", "gripper"])
    assert (euler.xyz, euler.rotation, euler.rotation_indices, euler.gripper) == (
        (0, 1, 2),
        "euler",
        (3, 4, 5),
        7,
    )
    quat = layout_from_names(["x", "y", "z", "qw", "qx", "qy", "qz"])
    assert (quat.rotation, quat.quaternion_order, quat.rotation_indices) == (
        "quaternion",
        "wxyz",
        (3, 4, 5, 6),
    )


def _cameras(*names: str) -> DatasetLayout:
    steps = {f"observation/{n}": Feature(IMAGE, "uint8", (8, 8, 3)) for n in names}
    steps["observation/depth"] = Feature(IMAGE, "float32", (8, 8, 1))
    steps["observation/state"] = Feature(
        TENSOR, "float32", (7,), "[x, y, z, roll, pitch, yaw, gripper]"
    )
    steps["action"] = Feature(TENSOR, "float32", (7,))
    steps["language_instruction"] = Feature(TEXT, "string")
    return DatasetLayout("mine", steps)


def test_the_third_person_camera_is_preferred_over_wrist_and_depth():
    assert (
        infer_profile(_cameras("wrist_image", "agentview_rgb")).profile.image_key
        == "observation/agentview_rgb"
    )
    assert (
        infer_profile(_cameras("hand_cam", "scene_cam")).profile.image_key
        == "observation/scene_cam"
    )


def test_two_neutral_cameras_take_the_first_declared_and_say_so():
    """Before: `set image_key (the third-person RGB camera); candidates: ...` stopped the run."""
    inference = infer_profile(_cameras("cam_b", "cam_a"))
    assert require(inference).image_key == "observation/cam_b"
    (said,) = [d for d in inference.decisions if d.subject == "camera"]
    assert "the first declared of observation/cam_b, observation/cam_a" in said.text
    assert said.override == "--camera observation/cam_a takes another"


def test_only_a_depth_camera_means_state_only():
    layout = _cameras()  # observation/depth alone: float32, one channel
    inference = infer_profile(layout)
    assert require(inference).image_key is None
    assert any("no RGB uint8 image among observation/depth" in d.text for d in inference.decisions)


def test_no_camera_declared_means_state_only():
    """Before: `candidates: (no image features)` stopped the run; only `image_key = ""` helped."""
    layout = _cameras()
    layout = replace(layout, steps={k: f for k, f in layout.steps.items() if f.kind != IMAGE})
    inference = infer_profile(layout)
    assert require(inference).image_key is None
    assert any("none declared" in d.text for d in inference.decisions)


def test_the_generated_sample_infers_its_built_in_profile(sample_dir):
    inferred = require(infer_profile(RldsDataset.open(str(sample_dir)).layout()))
    assert replace(inferred, ground_truth_key="ground_truth") == load_profile("ecot_sample")


def test_an_undocumented_state_is_read_as_an_unknown_arm_and_says_how_to_do_better(
    bridge_dir, tmp_path
):
    """Before: `set xyz_indices, rotation, rotation_indices and gripper_index` stopped the run.
    Now the 7 undocumented values are joints of an arm no model knows (move/stop), the profile
    block says which settings would make it full, and the written file reads back the same."""
    inference = infer_profile(RldsDataset.open(str(bridge_dir)).layout())
    profile = require(inference)
    (arm,) = profile.arms
    assert profile.motion_from == "joints" and arm.kinematics is None
    assert arm.joint_indices == tuple(range(7))
    (said,) = [d for d in inference.decisions if d.subject == "observation/state"]
    assert "7 values in no layout the dataset documents" in said.text
    assert "[[arms]] in a profile file" in said.override
    path = tmp_path / "bridge.toml"
    path.write_text(profile_toml(profile, inference))
    text = path.read_text()
    assert "SET ME" not in text and 'image_key = "observation/image_0"' in text
    assert text.endswith("\n") and load_profile(str(path)) == profile


def test_a_lerobot_info_json_is_enough():
    features = {
        "observation.images.wrist": {"dtype": "video", "shape": [64, 64, 3]},
        "observation.images.front": {"dtype": "video", "shape": [64, 64, 3]},
        "observation.state": {
            "dtype": "float32",
            "shape": [8],
            "names": ["x", "y", "z", "roll", "pitch", "yaw", "pad", "gripper"],
        },
        "action": {"dtype": "float32", "shape": [7]},
        "timestamp": {"dtype": "float32", "shape": [1]},
        "episode_index": {"dtype": "int64", "shape": [1]},
    }
    profile = require(infer_profile(lerobot_layout("so100_pick", features, fps=30)))
    assert profile.image_key == "observation.images.front" and profile.state_keys == (
        "observation.state",
    )
    assert (profile.xyz_indices, profile.rotation_indices, profile.gripper_index) == (
        (0, 1, 2),
        (3, 4, 5),
        7,
    )
    assert (
        profile.instruction_key is None
        and profile.file_path_key is None
        and profile.control_hz == 30
    )


def test_named_joints_are_joints_and_numbered_motors_say_nothing():
    arm = layout_from_names(
        ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_roll", "gripper"]
    )
    assert arm.joints_only and arm.gripper == 4 and not arm.xyz
    assert layout_from_names(["motor_0", "motor_1", "motor_2"]) is None


def test_a_joint_space_lerobot_arm_is_read_as_an_arm_of_joints():
    joints = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
    features = {
        "observation.images.front": {"dtype": "video", "shape": [48, 64, 3]},
        "observation.state": {"dtype": "float32", "shape": [6], "names": joints},
        "action": {"dtype": "float32", "shape": [6], "names": joints},
    }
    profile = require(infer_profile(lerobot_layout("so_arm", features, fps=30)))
    (arm,) = profile.arms
    assert profile.motion_from == "joints"
    assert (arm.joint_indices, arm.gripper_index) == ((0, 1, 2, 3, 4), 5)


def test_joint_values_known_only_from_a_description_are_an_unknown_arm():
    """Before: `the state holds no end-effector pose` stopped the run."""
    features = {
        "observation.images.front": {"dtype": "video", "shape": [48, 64, 3]},
        "observation.state": {"dtype": "float32", "shape": [6]},
        "action": {"dtype": "float32", "shape": [6]},
    }
    layout = lerobot_layout("so_arm", features, fps=30)
    state = replace(layout.steps["observation.state"], doc="6x joint angles")
    layout = replace(layout, steps={**layout.steps, "observation.state": state})
    (arm,) = require(infer_profile(layout)).arms
    assert arm.kinematics is None and arm.joint_indices == tuple(range(6))


def test_a_two_value_state_is_a_planar_position():
    """push-T: the pusher's x, y under `motor_0`, `motor_1`. Before: `set xyz_indices, ...`."""
    vector = {"dtype": "float32", "shape": [2], "names": {"motors": ["motor_0", "motor_1"]}}
    features = {
        "observation.image": {"dtype": "video", "shape": [96, 96, 3]},
        "observation.state": vector,
        "action": vector,
    }
    inference = infer_profile(lerobot_layout("pusht", features, fps=10))
    profile = require(inference)
    assert (profile.motion_from, profile.xyz_indices, profile.rotation) == ("state", (0, 1), "none")
    assert profile.gripper_from == "none"
    assert any("planar position x, y" in d.text for d in inference.decisions)


def test_prefixed_axis_names_are_read():
    found = layout_from_names(
        [
            "eef_pos_x",
            "eef_pos_y",
            "eef_pos_z",
            "eef_quat_qx",
            "eef_quat_qy",
            "eef_quat_qz",
            "eef_quat_qw",
            "gripper_width",
        ]
    )
    assert (found.xyz, found.rotation, found.rotation_indices, found.gripper) == (
        (0, 1, 2),
        "quaternion",
        (3, 4, 5, 6),
        7,
    )
