"""`make-sample --variant so101-bimanual`: two SO-101 arms folding a cloth together, laid out as
the published two-arm SO-101 cloth recording (`so101_bimanual`, `arm1_j1` ... `arm2_j6` in raw
servo ticks, cameras `cam0` and `cam1`, 20 fps), keeps its subtasks where a person labels them:
both arms grasping a moment apart is one grasp, starting where the first arm starts.

The threshold is the noisy sample's: boundary F1 >= 0.8 at +-0.5 s (test_noisy_sample.py)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.inspect.score import boundaries
from ecot_annotate.inspect.score_run import score_run
from ecot_annotate.profiles.infer import infer_profile, require
from ecot_annotate.sample.cloth import task_phases
from ecot_annotate.sources.base import episode_refs
from ecot_annotate.sources.lerobot import LeRobotFolder
from pipelines.run import run
from tests.support.samples import made_sample

pytest.importorskip("av")

CAMERAS = ("observation.images.cam0", "observation.images.cam1")


@pytest.fixture(scope="module")
def cloth(tmp_path_factory):
    return made_sample(tmp_path_factory, "so101-bimanual")


def test_a_phase_starts_where_the_first_arm_starts_it():
    first = ["approach"] * 3 + ["grasp"] * 4 + ["carry"] * 3
    second = ["approach"] * 5 + ["grasp"] * 2 + ["carry"] * 3
    assert boundaries(task_phases(first, second)) == [3, 7]
    assert boundaries(task_phases(second, first)) == [3, 7]


def test_written_as_the_two_arm_so101_recording(cloth):
    info = json.loads((cloth / "meta" / "info.json").read_text())
    assert info["robot_type"] == "so101_bimanual" and info["fps"] == 20
    names = info["features"]["observation.state"]["names"]
    assert names == [f"arm{a}_j{j}" for a in (1, 2) for j in range(1, 7)]
    for camera in CAMERAS:
        assert info["features"][camera]["dtype"] == "video"
        assert (cloth / "videos" / camera / "chunk-000" / "file-000.mp4").is_file()
    meta = pq.read_table(cloth / "meta/episodes/chunk-000/file-000.parquet").to_pydict()
    assert meta[f"videos/{CAMERAS[1]}/to_timestamp"] == meta[f"videos/{CAMERAS[0]}/to_timestamp"]
    data = pq.read_table(cloth / "data/chunk-000/file-000.parquet").to_pydict()
    state = np.array(data["observation.state"])
    assert state.min() >= 0 and state.max() <= 4095 and (state == np.round(state)).all()
    for gripper in (5, 11):  # open above closed, with the recorder's jitter
        assert 2000 < state[:, gripper].min() < 2150 and 2850 < state[:, gripper].max() < 3000
    for episode in range(3):
        rows = [i for i, e in enumerate(data["episode_index"]) if e == episode]
        task, first, second = (
            boundaries([data[f"ecot.truth.{name}"][i] for i in rows])
            for name in ("phase", "first.phase", "second.phase")
        )
        assert len(task) == len(first) == len(second) == 4
        assert task == [min(a, b) for a, b in zip(first, second, strict=True)]


def test_read_as_two_so101_arms_with_their_grippers(cloth):
    folder = LeRobotFolder.open(str(cloth))
    profile = require(infer_profile(folder.layout()))
    arms = {arm.name: arm for arm in profile.arms}
    assert set(arms) == {"first", "second"}
    for arm, first_joint in ((arms["first"], 0), (arms["second"], 6)):
        assert arm.kinematics == "so101" and arm.joint_units == "ticks"
        assert arm.joint_indices == tuple(range(first_joint, first_joint + 5))
        assert arm.gripper_index == first_joint + 5 and arm.gripper_open_is_high
    assert profile.image_key == CAMERAS[0]  # two neutral cameras: the first, by the rule
    episode = folder.reader(profile).read(next(iter(episode_refs(folder))))
    assert len(episode.images) == episode.n_steps == len(episode.ground_truth["phase"])


def test_subtasks_of_two_arms_folding_together_from_the_path(cloth, tmp_path):
    out = tmp_path / "out"
    config = AnnotateConfig(
        input=str(cloth), out=str(out), source="lerobot", camera="none", formats=("parquet",)
    )
    assert run(config)["episodes_out"] == 3
    figures = score_run(out)
    assert figures["control_hz"] == 20.0
    assert figures["boundaries"]["f1"] >= 0.8, figures["boundaries"]
