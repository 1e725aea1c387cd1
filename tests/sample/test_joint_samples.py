"""`make-sample --variant so101 / aloha`: joint-space LeRobot v3.0 datasets with video and ground
truth, which annotate from the input path alone and score against their own truth (per arm for
ALOHA)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from ecot_annotate.cli import main
from ecot_annotate.config import AnnotateConfig
from ecot_annotate.inspect.score_run import score_run
from ecot_annotate.kinematics import KinematicModel
from ecot_annotate.profiles.infer import infer_profile, require
from ecot_annotate.sample.generate import script_trajectory
from ecot_annotate.sample.inverse_kinematics import pointing_down, solve_path
from ecot_annotate.sources.base import episode_refs
from ecot_annotate.sources.lerobot import LeRobotFolder
from pipelines.run import run

pytest.importorskip("av")


@pytest.fixture(scope="module", params=["so101", "aloha"])
def sample(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    result = CliRunner().invoke(
        main, ["make-sample", str(out), "--episodes", "2", "--variant", request.param]
    )
    assert result.exit_code == 0, result.output
    return request.param, out / f"ecot_sample_{request.param}"


def test_inverse_kinematics_follows_a_reachable_path():
    model = KinematicModel.builtin("so101")
    rng = np.random.default_rng(1)
    path = script_trajectory(
        np.array([0.25, -0.1, 0]), np.array([0.35, 0.1, 0]), np.array([0.25, 0, 0.2]), rng
    ).clean
    path = path * 0.65 + [0.04, 0, 0]
    joints, errors = solve_path(
        model, path, pointing_down(model, np.pi / 3), np.array([0, -0.5, 0.5, 1.0, 0])
    )
    assert errors.max() < 0.003
    assert np.abs(model.fk(joints)[0] - path).max() < 0.003
    assert (joints >= model.lower).all() and (joints <= model.upper).all()


def test_written_as_lerobot_v3_with_video_and_truth(sample):
    variant, root = sample
    info = json.loads((root / "meta" / "info.json").read_text())
    names = info["features"]["observation.state"]["names"]
    assert info["codebase_version"] == "v3.0" and info["fps"] == 15
    if variant == "so101":
        assert info["robot_type"] == "so101_follower"
        assert names[0] == "shoulder_pan.pos" and names[-1] == "gripper.pos"
    else:
        assert info["robot_type"] == "aloha" and len(names) == 14
        assert names[0] == "left_waist" and names[13] == "right_gripper"
    assert (root / "videos/observation.images.front/chunk-000/file-000.mp4").is_file()
    stats = json.loads((root / "meta" / "stats.json").read_text())["observation.state"]
    assert len(stats["min"]) == len(stats["max"]) == len(names)
    gripper = len(names) - 1
    assert stats["min"][gripper] == 0 and stats["max"][gripper] == (100 if variant == "so101" else 1)  # fmt: skip
    if variant == "so101":  # range mode, the calibration spanning the joint limits
        assert min(stats["min"][:gripper]) >= -100 and max(stats["max"][:gripper]) <= 100

    folder = LeRobotFolder.open(str(root))
    profile = require(infer_profile(folder.layout()))
    assert profile.ground_truth_key == "ecot.truth"
    units = {arm.joint_units for arm in profile.arms}
    assert units == ({"range"} if variant == "so101" else {"radians"})
    reader = folder.reader(profile)
    episode = reader.read(next(iter(episode_refs(folder))))
    assert len(episode.images) == episode.n_steps == len(episode.ground_truth["phase"])
    keys = {"phase", "primitive"} if variant == "so101" else {"left.primitive", "right.phase"}
    assert keys <= set(episode.ground_truth)


def test_annotates_and_scores_in_joint_space(sample, tmp_path):
    variant, root = sample
    out = tmp_path / "out"
    config = AnnotateConfig(input=str(root), out=str(out), source="lerobot", formats=("parquet",))
    summary = run(config)
    assert summary["episodes_out"] == 2 and summary["episodes_quarantined"] == 0
    figures = score_run(out)
    assert figures["boundaries"]["f1"] >= 0.95
    if variant == "so101":
        assert figures["primitives"]["accuracy"] >= 0.95
    else:
        for arm in ("left", "right"):
            assert figures["arms"][arm]["primitive_accuracy"] >= 0.95
            assert figures["arms"][arm]["boundaries"]["f1"] >= 0.95
