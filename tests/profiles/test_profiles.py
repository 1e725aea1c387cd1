"""The profile language: loading, whole-profile validation, the end-effector track it reads."""

import json
from dataclasses import replace

import numpy as np
import pytest

from ecot_annotate.errors import InputError
from ecot_annotate.profiles import builtin_profiles, load_profile
from ecot_annotate.profiles.kinematics import arm_tracks, quaternion_to_rpy
from ecot_annotate.profiles.layout import IMAGE, TENSOR, TEXT, DatasetLayout, Feature
from ecot_annotate.profiles.model import DatasetProfile
from ecot_annotate.profiles.toml_text import profile_toml
from ecot_annotate.profiles.validate import ProfileError, check_profile_fits, profile_problems

OXE_MIXTURE = {
    "bridge_orig",
    "fractal20220817_data",
    "kuka",
    "taco_play",
    "jaco_play",
    "berkeley_cable_routing",
    "roboturk",
    "viola",
    "berkeley_autolab_ur5",
    "toto",
    "language_table",
    "stanford_hydra_dataset_converted_externally_to_rlds",
    "austin_buds_dataset_converted_externally_to_rlds",
    "austin_sailor_dataset_converted_externally_to_rlds",
    "austin_sirius_dataset_converted_externally_to_rlds",
    "berkeley_fanuc_manipulation",
    "ucsd_kitchen_dataset_converted_externally_to_rlds",
    "nyu_franka_play_dataset_converted_externally_to_rlds",
    "furniture_bench_dataset_converted_externally_to_rlds",
    "cmu_stretch",
    "droid",
    "dlr_edan_shared_control_converted_externally_to_rlds",
    "libero_spatial_no_noops",
}


def _layout(state_width: int = 7, action_width: int = 7) -> DatasetLayout:
    steps = {
        "observation/image": Feature(IMAGE, "uint8", (8, 8, 3)),
        "observation/depth": Feature(IMAGE, "float32", (8, 8, 1)),
        "observation/state": Feature(TENSOR, "float32", (state_width,)),
        "action": Feature(TENSOR, "float32", (action_width,)),
        "language_instruction": Feature(TEXT, "string"),
    }
    return DatasetLayout("mine", steps, {"episode_metadata/file_path": Feature(TEXT, "string")})


def _profile(**fields) -> DatasetProfile:
    base = DatasetProfile(name="mine", image_key="observation/image", episode_id_key=None)
    return replace(base, **fields)


def test_builtin_profiles_cover_the_openvla_mixture_and_are_named_like_their_datasets():
    names = set(builtin_profiles())
    assert names >= OXE_MIXTURE and len(names) >= 25
    for name in names:
        profile = load_profile(name)
        assert profile.name == name
        assert profile.rotation in ("euler", "quaternion", "axis_angle", "none")


@pytest.mark.parametrize("name", builtin_profiles())
def test_written_toml_reads_back_to_the_same_profile(name, tmp_path):
    profile = load_profile(name)
    path = tmp_path / f"{name}.toml"
    path.write_text(profile_toml(profile))
    assert load_profile(str(path)) == profile


def test_older_single_key_profiles_still_load(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text('name = "old"\nstate_key = "observation/state"\naction_key = "action"\n')
    profile = load_profile(str(path))
    assert profile.state_keys == ("observation/state",) and profile.action_keys == ("action",)


def test_empty_rotation_means_no_rotation_not_a_crash(tmp_path):
    """Before, `rotation_indices = []` died in the decoder with `max() arg is an empty sequence`."""
    path = tmp_path / "flat.toml"
    path.write_text('name = "flat"\nrotation_indices = []\n')
    profile = load_profile(str(path))
    assert profile.rotation == "none"
    fixed = replace(profile, image_key="observation/image", episode_id_key=None)
    assert profile_problems(fixed, _layout()) == []
    state = np.tile(np.arange(7, dtype=np.float32), (5, 1))
    (track,) = arm_tracks(profile, state, np.zeros((5, 7), np.float32))
    assert track.rotation.shape == (5, 3) and not track.rotation.any()


def test_no_gripper_value_gives_a_zero_gripper_track():
    profile = _profile(gripper_from="none", gripper_index=None)
    assert profile_problems(profile, _layout(state_width=6)) == []
    (track,) = arm_tracks(profile, np.ones((4, 6), np.float32), np.ones((4, 7), np.float32))
    assert not track.gripper.any() and track.source == "state"


def test_every_problem_is_reported_at_once_one_line_each():
    profile = _profile(
        image_key="observation/depth",
        state_keys=("observation/state", "observation/missing"),
        xyz_indices=(0, 1, 9),
        rotation="quaternion",
        rotation_indices=(3, 4, 5),
        gripper_index=1,
        control_hz=0,
    )
    with pytest.raises(ProfileError) as info:
        check_profile_fits(profile, _layout())
    problems = info.value.problems
    assert all("\n" not in p for p in problems)
    text = "\n".join(problems)
    assert "image_key: 'observation/depth' is float32 [8, 8, 1], not an RGB uint8 image" in text
    assert "state_keys: 'observation/missing' is not a numeric step feature" in text
    assert "rotation_indices: 3 values, rotation 'quaternion' needs 4" in text
    assert "gripper_index: index 1 is also used by xyz_indices" in text
    assert "control_hz: 0 is not a positive rate" in text
    assert str(info.value).count("\n  - ") == len(problems) >= 5


def test_indices_are_checked_against_the_width_of_the_concatenated_state():
    problems = profile_problems(_profile(xyz_indices=(6, 7, 8)), _layout(state_width=7))
    assert any(
        "index 8 is outside the state (observation/state, 7 values: 0..6)" in p for p in problems
    )


def test_motion_from_state_needs_a_state():
    problems = profile_problems(_profile(state_keys=()), _layout())
    assert any("set motion_from = 'action_deltas'" in p for p in problems)


def test_motion_from_is_read_once_into_an_enum():
    from ecot_annotate.profiles.model import MotionFrom

    deltas = _profile(motion_from="action_deltas")
    assert deltas.motion_from is MotionFrom.ACTION_DELTAS
    assert deltas.motion_from.in_action and deltas.motion_from.integrated
    assert not deltas.motion_from.per_arm and deltas.motion_from.label == "integrated action deltas"
    assert json.dumps(deltas.as_dict()["motion_from"]) == '"action_deltas"'  # digests unchanged
    with pytest.raises(InputError, match="motion_from 'velocity' is not one of state, "):
        _profile(motion_from="velocity")


def test_quaternion_orders_give_the_same_roll_pitch_yaw():
    from scipy.spatial.transform import Rotation

    rpy = np.array([[0.1, -0.2, 0.3], [np.pi - 0.1, 0.05, -1.0]])
    xyzw = Rotation.from_euler("xyz", rpy).as_quat()
    wxyz = xyzw[:, [3, 0, 1, 2]]
    assert np.allclose(quaternion_to_rpy(xyzw, "xyzw"), rpy)
    assert np.allclose(quaternion_to_rpy(wxyz, "wxyz"), rpy)


def test_joint_only_state_integrates_the_action_deltas():
    profile = _profile(motion_from="action_deltas", gripper_from="action", gripper_index=6)
    action = np.zeros((4, 7), np.float32)
    action[:, 0], action[:, 5], action[:, 6] = 0.1, 0.2, [1, 1, 0, 0]
    (track,) = arm_tracks(profile, np.zeros((4, 7), np.float32), action)
    assert np.allclose(track.xyz[:, 0], [0, 0.1, 0.2, 0.3]) and np.allclose(
        track.rotation[:, 2], [0, 0.2, 0.4, 0.6]
    )
    assert track.source == "integrated action deltas" and list(track.gripper) == [1, 1, 0, 0]


def test_a_planar_profile_gives_a_flat_height():
    profile = _profile(
        xyz_indices=(0, 1), rotation="none", rotation_indices=(), gripper_from="none"
    )
    (track,) = arm_tracks(profile, np.arange(8, dtype=np.float32).reshape(4, 2), np.zeros((4, 2)))
    assert (
        np.array_equal(track.xyz[:, :2], np.arange(8).reshape(4, 2)) and not track.xyz[:, 2].any()
    )


def test_a_field_left_to_set_stops_with_a_clear_error(tmp_path):
    path = tmp_path / "todo.toml"
    path.write_text('name = "todo"\nxyz_indices = "SET ME"\n')
    with pytest.raises(InputError, match="xyz_indices must be a list of integers, got 'SET ME'"):
        load_profile(str(path))


def test_the_readme_lists_exactly_the_built_in_profiles():
    from pathlib import Path

    from ecot_annotate.profiles.catalog import END, START, builtin_table

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    listed = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert listed == builtin_table(), "run `make profiles-doc`"


def test_a_profile_reference_is_data_and_reads_back_from_what_a_run_records():
    """Before, the reference was decided by testing whether a display sentence started with
    "inferred" and parsed back out of a string in two places (issue 28)."""
    from ecot_annotate.profiles.choice import Origin, ProfileRef

    inferred = ProfileRef(Origin.INFERRED, "auto", "0123abcd")
    in_file = ProfileRef(Origin.FILE, "my_robot.toml", "89ef")
    assert (inferred.text, in_file.text) == ("inferred:0123abcd", "my_robot.toml#89ef")
    assert ProfileRef.parse(inferred.text) == inferred
    assert ProfileRef.parse(in_file.text) == in_file
    assert (
        ProfileRef.parse("bridge") is None and ProfileRef(Origin.BUILTIN, "bridge").text == "bridge"
    )
