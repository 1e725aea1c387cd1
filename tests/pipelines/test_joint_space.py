"""`annotate INPUT --out OUT` on LeRobot datasets of robots whose state is joint positions: one
SO-101 arm, two SO-101 arms, ALOHA, an arm no model knows, and the real SO-101 dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.inspect.quality import episode_quality
from ecot_annotate.inspect.score_run import predictions
from pipelines.run import run
from tests.support.datasets import decode_all
from tests.support.joint_datasets import (
    ALOHA,
    SEVEN,
    SO101,
    joint_episodes,
    names,
    real_state_episodes,
)

pytest.importorskip("av")
REAL_SO101 = Path(__file__).parents[2] / ".." / "shared" / "data" / "lerobot_so101"
DEGREES = 180 / 3.141592653589793


@pytest.fixture(scope="module")
def sample_episodes(sample_dir):
    return decode_all(sample_dir, "ecot_sample")[:2]


def _annotate(root: Path, out: Path, **options) -> tuple[dict, str]:
    said: list[str] = []
    config = AnnotateConfig(
        input=str(root), out=str(out), source="lerobot", formats=("parquet", "ecot-json"), **options
    )
    return run(config, announce=said.append), "\n".join(said)


def _write(tmp_path, episodes, state_names, robot_type):
    from tests.support.lerobot_datasets import write_lerobot

    return write_lerobot(tmp_path / "in", episodes, state_names=state_names, robot_type=robot_type)


def _entries(out: Path) -> list[dict]:
    merged = json.loads((out / "ecot" / "reasonings.json").read_text())
    return [entry for episodes in merged.values() for entry in episodes.values()]


def test_a_single_so101_in_degrees_moves_as_forward_kinematics_says(sample_episodes, tmp_path):
    episodes = joint_episodes(sample_episodes, 1, 5, DEGREES, 100.0)
    root = _write(tmp_path, episodes, names(SO101), "so101_follower")
    summary, said = _annotate(root, tmp_path / "out")
    assert "arm arm      joints [0,1,2,3,4] in degrees (exact); model so101" in said, said
    assert summary["episodes_out"] == 2 and summary["episodes_quarantined"] == 0
    assert summary["episodes_unknown_arm"] == 0
    rows = pq.read_table(tmp_path / "out" / "parquet").to_pylist()
    prims = [r["primitive"] for r in rows]
    assert any("close gripper" in p for p in prims) and any("open gripper" in p for p in prims)
    # shoulder_lift turning back (negative) lifts the SO-101's arm: forward kinematics says up
    assert any("up" in p for p in prims)
    entry = _entries(tmp_path / "out")[0]
    assert "arms" not in entry["features"] and len(entry["features"]["state_3d"][0]) == 3


def test_degrees_within_100_read_as_degrees_with_the_joint_units_option(sample_episodes, tmp_path):
    """lerobot 0.6.1's so101_follower records degrees; with every joint within ±100 the values
    cannot tell degrees from range mode, the arm's convention, and --joint-units says which."""
    from ecot_annotate.profiles.infer import infer_profile, require
    from ecot_annotate.sources.lerobot import LeRobotFolder
    from ecot_annotate.store.run_config import recorded_config

    episodes = joint_episodes(sample_episodes, 1, 5, DEGREES, 100.0)
    for episode in episodes:
        episode.state[:, 4] = episode.action[:, 4] = 45.0  # the wrist roll within ±100
    root = _write(tmp_path, episodes, names(SO101), "so101_follower")
    (arm,) = require(infer_profile(LeRobotFolder.open(str(root)).layout())).arms
    assert arm.joint_units == "range"  # auto follows the convention
    summary, said = _annotate(root, tmp_path / "out", joint_units="degrees")
    assert "joint units from --joint-units" in said
    assert "arm arm      joints [0,1,2,3,4] in degrees (exact); model so101" in said, said
    assert summary["episodes_out"] == 2 and summary["episodes_quarantined"] == 0
    recorded = recorded_config(str(tmp_path / "out"))
    assert recorded.joint_units == "degrees"
    assert recorded.dataset_profile.arms[0].joint_units == "degrees"
    prims = [r["primitive"] for r in pq.read_table(tmp_path / "out" / "parquet").to_pylist()]
    assert any("up" in p for p in prims)


def test_joint_units_on_a_cartesian_profile_is_refused_in_one_line(sample_dir, tmp_path):
    from click.testing import CliRunner

    from ecot_annotate.cli import main

    args = ["annotate", str(sample_dir), "--out", str(tmp_path / "o"), "--joint-units", "degrees"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip() == (
        "error: --joint-units serves a robot whose state is joint positions; profile "
        "'ecot_sample' reads its motion from state"
    )
    assert not (tmp_path / "o").exists()


def test_two_so101_arms_get_their_own_moves(sample_episodes, tmp_path):
    episodes = joint_episodes(sample_episodes, 2, 5, DEGREES, 100.0)
    root = _write(tmp_path, episodes, names(SO101, ("left", "right")), "bi_so101_follower")
    summary, said = _annotate(root, tmp_path / "out")
    assert "arm left" in said and "arm right" in said
    assert summary["episodes_out"] == 2 and summary["episodes_quarantined"] == 0
    rows = pq.read_table(tmp_path / "out" / "parquet").to_pylist()
    assert all([a["arm"] for a in r["arm_primitives"]] == ["left", "right"] for r in rows)
    assert all(r["move"].startswith("left arm: ") and "; right arm: " in r["move"] for r in rows)
    entry = _entries(tmp_path / "out")[0]
    arms = entry["features"]["arms"]
    assert set(arms) == {"left", "right"}
    left, right = arms["left"]["move_primitive"], arms["right"]["move_primitive"]
    assert entry["features"]["move_primitive"] == [
        f"left arm: {a}; right arm: {b}" for a, b in zip(left, right, strict=True)
    ]  # the step's move names both arms, as `move` does
    assert entry["features"]["state_3d"] is None and len(arms["left"]["state_3d"][0]) == 3
    assert arms["left"]["move_primitive"] != arms["right"]["move_primitive"]  # later, per arm
    subtasks = [step["subtask"] for step in entry["reasoning"].values()]
    assert len(set(subtasks)) >= 4  # split at either arm's close and open
    quality, _ = episode_quality(tmp_path / "out")  # `stats`: the move says both arms' primitives
    assert all(e.disagreements["move differs from primitive"] == 0 for e in quality)
    assert all(p.named == p.moves for p in predictions(tmp_path / "out"))  # `score` reads both


def test_aloha_in_radians_is_two_arms(sample_episodes, tmp_path):
    episodes = joint_episodes(sample_episodes, 2, 6, 1.0, 1.0)
    root = _write(tmp_path, episodes, names(ALOHA, ("left", "right"), ""), "aloha")
    summary, said = _annotate(root, tmp_path / "out")
    assert "arm left     joints [0,1,2,3,4,5] in radians (exact)" in said
    assert summary["episodes_out"] == 2 and summary["episodes_quarantined"] == 0


def test_an_unknown_seven_joint_arm_still_gets_every_episode(sample_episodes, tmp_path):
    episodes = joint_episodes(sample_episodes, 1, 7, 1.0, 1.0)
    root = _write(tmp_path, episodes, SEVEN, "my_homemade_arm")
    summary, said = _annotate(root, tmp_path / "out")
    assert "--kinematics FILE.urdf --ee-link LINK for full moves" in said
    assert summary["episodes_out"] == 2 and summary["episodes_unknown_arm"] == 2
    prims = {r["primitive"] for r in pq.read_table(tmp_path / "out" / "parquet").to_pylist()}
    assert "move" in prims and any("close gripper" in p for p in prims)
    assert prims <= {"move", "stop", "move, close gripper", "move, open gripper"} | {
        "close gripper",
        "open gripper",
    }
    subtasks = {
        step["subtask"] for e in _entries(tmp_path / "out") for step in e["reasoning"].values()
    }
    # Joint speed and the gripper place the subtasks; the rest at the end is not one of its own.
    assert {"Grasp the orange carrot.", "Carry the orange carrot to the blue bowl."} <= subtasks
    assert "Hold still." not in subtasks


def test_kinematics_option_gives_an_unknown_arm_full_move_names(sample_episodes, tmp_path):
    from ecot_annotate.kinematics.catalog import BUILTIN_ARMS

    panda = BUILTIN_ARMS["panda"]  # any URDF file: here the built-in Panda's
    episodes = joint_episodes(sample_episodes, 1, 7, 1.0, 1.0)
    root = _write(tmp_path, episodes, SEVEN, "my_homemade_arm")
    options = {"kinematics": str(panda.urdf), "ee_link": panda.ee_link}
    summary, said = _annotate(root, tmp_path / "out", **options)
    assert "model from --kinematics" in said and "--kinematics FILE.urdf" not in said
    assert summary["episodes_out"] == 2 and summary["episodes_unknown_arm"] == 0
    prims = {r["primitive"] for r in pq.read_table(tmp_path / "out" / "parquet").to_pylist()}
    assert any(p.startswith("move ") for p in prims)  # a direction, not the bare "move"


@pytest.mark.skipif(not REAL_SO101.is_dir(), reason="the real SO-101 dataset is not here")
def test_the_real_so101_dataset_reads_as_an_so101_in_range_mode():
    """Its videos are not shipped: the profile and the track are checked on its state."""
    import numpy as np

    from ecot_annotate.profiles.infer import infer_profile, require
    from ecot_annotate.profiles.kinematics import arm_tracks
    from ecot_annotate.profiles.validate import profile_problems
    from ecot_annotate.sources.lerobot import LeRobotFolder

    folder = LeRobotFolder.open(str(REAL_SO101))
    profile = require(infer_profile(folder.layout()))
    (arm,) = profile.arms
    assert (arm.kinematics, arm.joint_units, arm.gripper_index) == ("so101", "range", 5)
    assert profile_problems(profile, folder.layout()) == []
    table = pq.read_table(folder.episodes[0].data_path)
    state = np.asarray(table.column("observation.state").to_pylist(), dtype=np.float32)
    (track,) = arm_tracks(profile, state, state)
    assert track.source == "forward kinematics (so101, range mode: approximate)"
    reach = np.linalg.norm(track.xyz, axis=1)
    assert reach.min() > 0.05 and reach.max() < 0.5  # within the SO-101's reach, in metres


@pytest.mark.skipif(not REAL_SO101.is_dir(), reason="the real SO-101 dataset is not here")
def test_the_real_so101_states_annotate_every_episode(sample_episodes, tmp_path):
    """The real dataset's recorded joint states (range mode) with a plain frame per step in place
    of its missing videos, written as LeRobot writes them and annotated from the input path."""
    episodes, state_names, robot_type = real_state_episodes(REAL_SO101, sample_episodes[0])
    root = _write(tmp_path, episodes, state_names, robot_type)
    summary, said = _annotate(root, tmp_path / "out")
    assert "in range (approximate); model so101" in said
    assert summary["episodes_out"] == len(episodes) == 4 and summary["episodes_quarantined"] == 0
    prims = [r["primitive"] for r in pq.read_table(tmp_path / "out" / "parquet").to_pylist()]
    assert sum(p != "stop" for p in prims) > len(prims) / 4
    assert any("close gripper" in p for p in prims)
