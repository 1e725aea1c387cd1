"""LeRobot datasets written by lerobot 0.6.1 itself (tests/fixtures/lerobot, with the scripts that
wrote them) annotate from the input path alone: `annotate INPUT --out OUT`, every episode, exit 0.

Before, none of them did: the joint-space ones stopped with "the state holds no end-effector pose"
or "the layout of observation.state is not documented", and the v2.1 one died with a traceback.
The second eight reproduce the layouts of issue 31 (make_real_layouts.py says where each comes
from): of those, five stopped (no camera declared, 44 unnamed motors, two neutral cameras, a 2-D
state, a v2.1 info.json over v3.0 files) and three ran on a wrong reading (units, model, width).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecot_annotate.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lerobot"
DATASETS = [
    "so101",
    "so101_range",
    "bi_so101",
    "aloha",
    "piper",
    "unknown7",
    "state_only",
    "v21_quirks",
    "so101_two_cameras",
    "b601",
    "gr1",
    "piper_so101_leader",
    "r1",
    "r1_v21_over_v30",
    "so_follower_box",
    "so101_bimanual",
    "pusht",
]


@pytest.mark.parametrize("name", DATASETS)
def test_a_lerobot_dataset_annotates_from_its_path_alone(name, tmp_path):
    pytest.importorskip("av")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["annotate", str(FIXTURES / name), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    summary = json.loads((out / "summary.json").read_text())
    declared = json.loads((FIXTURES / name / "meta" / "info.json").read_text())["total_episodes"]
    assert summary["episodes_out"] == declared and summary["episodes_quarantined"] == 0
    assert summary["steps_out"] == summary["steps_in"] > 0


def _profile_block(name: str, *options: str) -> str:
    result = CliRunner().invoke(main, ["profile", str(FIXTURES / name), *options])
    assert result.exit_code == 0, result.output
    return result.output


def _line(block: str, start: str) -> str:
    (line,) = [x for x in block.splitlines() if x.strip().startswith(start)]
    return line


def test_no_camera_declared_is_state_only():
    block = _profile_block("b601")
    assert "camera       none: annotated from the state alone" in block
    assert "decided      camera: none declared" in block


def test_an_arm_is_not_mapped_to_a_model_it_does_not_match_one_for_one():
    """B601 has wrist_yaw besides SO-101's five joints: before, it was SO-101 with wrist_yaw
    ignored and its gripper (-20..-9) read in range mode."""
    block = _profile_block("b601")
    said = _line(block, "decided      arm arm: no model")
    assert "its 6 joints do not match so101's 5 one for one (wrist_yaw.pos" in said
    assert "gripper.pos in -20..-9, below zero: closed at 0, larger = closed" in said
    assert "--kinematics FILE.urdf --ee-link LINK" in said
    assert "joints in degrees" in _line(block, "decided      arm arm: joints in")


def test_values_pinned_at_minus_100_are_range_mode_not_degrees():
    """Piper driven by an SO-101 leader: before, `in degrees (exact)` with joint_2 at -100."""
    block = _profile_block("piper_so101_leader")
    assert "joints [0,1,2,3,4,5] in range (approximate); model piper" in block
    said = _line(block, "decided      arm arm: joints in range")
    assert "joint_2.pos rests at exactly -100, range mode's end stop" in said
    assert said.endswith("--joint-units radians|degrees|range|ticks overrides")


def test_an_unrecognised_layout_is_unknown_arms_from_the_datasets_own_groups():
    """GR-1: 44 values named motor_0..motor_43; meta/modality.json names left_arm, right_hand...
    Before: `set xyz_indices, rotation, ...`."""
    block = _profile_block("gr1")
    assert "arm left     joints [0,1,2,3,4,5,6] in radians" in block
    assert "arm right    joints [22,23,24,25,26,27,28] in radians" in block
    said = _line(block, "decided      observation.state: 44 values")
    assert "(motor_0 ... motor_43)" in said and "[[arms]] in a profile file" in said
    assert "its hand's 6 values grip together (their mean; motor_29 moves most)" in _line(
        block, "decided      arm right: told"
    )
    assert "camera       observation.images.ego_view" in block  # egoview is declared, not shipped


def test_two_neutral_cameras_take_the_first_and_camera_changes_it(tmp_path):
    """Before: `set image_key ...; candidates: observation.images.cam0, ...cam1`, and --camera
    did not get past it."""
    block = _profile_block("so101_bimanual")
    assert "camera       observation.images.cam0" in block
    assert "--camera observation.images.cam1 takes another" in block
    out = tmp_path / "out"
    camera = ["--camera", "observation.images.cam1"]
    result = CliRunner().invoke(
        main, ["annotate", str(FIXTURES / "so101_bimanual"), "--out", str(out), *camera]
    )
    assert result.exit_code == 0, result.output
    assert "camera       observation.images.cam1" in result.output
    assert "decided      camera" not in result.output


def test_two_arms_numbered_arm1_arm2_each_with_its_gripper():
    """so101_bimanual's arm1_j1..arm2_j6: before, one unknown 12-joint arm in ticks, no gripper."""
    block = _profile_block("so101_bimanual")
    assert (
        "arm first    joints [0,1,2,3,4] in ticks (approximate); model so101; gripper state[5]"
        in block
    )
    assert (
        "arm second   joints [6,7,8,9,10] in ticks (approximate); model so101; gripper state[11]"
        in block
    )
    assert "by position, the last value its gripper" in block


def test_a_two_value_state_moves_in_the_plane(tmp_path):
    block = _profile_block("pusht")
    assert "motion       from state: xyz [0,1], none [-]" in block
    assert "planar position x, y" in block


def test_a_stored_width_other_than_declared_is_said_and_read_as_stored(tmp_path):
    """R1 declares 17 state values and stores 41: before, indices 0-16 (mostly zeros) were read
    and the LeRobot export silently declared 41 under the 17 names."""
    block = _profile_block("r1")
    said = _line(block, "decided      observation.state: meta/info.json declares 17")
    assert "file-000.parquet holds 41: read as the 41 stored values, unnamed" in said
    assert "joints [0,1,2,3,4,5,6,7,8,9,10" in block and ",40] in radians" in block
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["annotate", str(FIXTURES / "r1"), "--out", str(out), "--format", "lerobot"]
    )
    assert result.exit_code == 0, result.output
    assert "declares 17 values" in result.output
    info = json.loads((out / "lerobot" / "meta" / "info.json").read_text())
    state = info["features"]["observation.state"]
    assert state["shape"] == [41] and state["names"] is None
    exported = CliRunner().invoke(
        main, ["export", str(out), str(tmp_path / "again"), "--to", "lerobot"]
    )
    assert exported.exit_code == 0, exported.output
    assert "meta/info.json declares 17 values" in exported.output  # said again, not silent


def test_a_v21_info_json_over_v30_files_is_read_as_the_files_are():
    """Before: FileNotFoundError-like stop on meta/episodes.jsonl."""
    block = _profile_block("r1_v21_over_v30")
    said = _line(block, "decided      layout:")
    assert "meta/info.json says v2.1 but the files are laid out as v3.0" in said
    assert "set codebase_version, data_path and video_path in meta/info.json" in said


def test_so_follower_records_degrees():
    """lerobot 0.6's `so_follower` writes degrees by default; its 1080p video is not shipped."""
    block = _profile_block("so_follower_box")
    assert "joints [0,1,2,3,4] in degrees (exact); model so101" in block
    assert "lerobot's so_follower records degrees" in block
    assert "camera       none" in block
