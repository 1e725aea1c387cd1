"""Auto motion thresholds: ECoT's rule in each dataset's units and rate, checked on the sample."""

import numpy as np
import pytest

from ecot_annotate.config import MotionConfig
from ecot_annotate.episode import ArmTrack
from ecot_annotate.geometry.arm_signals import episode_arm_signals, steps_per_second
from ecot_annotate.geometry.motion import arm_primitives
from ecot_annotate.geometry.motion_auto import calibrate, window_steps
from ecot_annotate.geometry.subtask_changes import segments
from ecot_annotate.inspect.score import EpisodePrediction, Scorer
from ecot_annotate.inspect.score_run import truth_from_episode
from ecot_annotate.profiles import load_profile
from ecot_annotate.sample.generate import write_sample
from ecot_annotate.sample.truth import VARIANTS
from ecot_annotate.sources.rlds import EpisodeDecoder, RldsDataset, read_shard


def _motion(hz=5.0, scale=1.0, rotation_scale=1.0, gripper_scale=1.0, n=60, seed=0):
    """A reach-grasp-lift at `hz`: 0.02 m per 0.2 s, a 0.3 rad turn, one gripper close."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(n * hz / 5.0)) / hz
    xyz = np.stack([0.1 * t, 0.05 * np.sin(t), 0.02 * t], axis=1) * scale
    xyz += rng.normal(0, 0.0005 * scale, xyz.shape)
    rot = np.stack([0 * t, 0 * t, 0.3 * np.sin(t)], axis=1) * rotation_scale
    grip = np.where(t < t[-1] / 2, 1.0, 0.0) * gripper_scale
    return (ArmTrack("arm", xyz, rot, grip, None, "state"),)


def test_bridge_like_data_gets_ecot_exactly():
    cal = calibrate([_motion(), _motion(seed=1)], 5.0, "profile")
    assert cal.apply() == MotionConfig()
    assert cal.as_dict()["statistics"]["translation_p90"] > 0


def test_units_and_rate_move_the_thresholds():
    mm = calibrate([_motion(scale=1000.0)], 5.0, "profile").apply()
    assert mm.translation_threshold == pytest.approx(30.0) and mm.window == 4
    degrees = calibrate([_motion(rotation_scale=180 / np.pi)], 5.0, "profile")
    assert degrees.rotation_unit == "degrees"
    assert degrees.apply().rotation_threshold == pytest.approx(0.3 * 180 / np.pi)
    percent = calibrate([_motion(gripper_scale=100.0)], 5.0, "profile").apply()
    assert percent.gripper_threshold == pytest.approx(3.0)
    metres = calibrate([_motion(gripper_scale=0.08)], 5.0, "profile").apply()
    assert metres.gripper_threshold == pytest.approx(0.03 * 0.08)
    fast = calibrate([_motion(hz=50.0)], 50.0, "option")
    assert fast.window == 40 and fast.apply().translation_threshold == pytest.approx(0.03)
    assert window_steps(15.0) == 12
    shorter = calibrate([_motion(hz=50.0)], 50.0, "option").apply(MotionConfig(window=3))
    assert shorter.window == 30  # a window given at Bridge's 5 Hz keeps its time span


def test_arms_with_no_pose_calibrate_the_gripper_alone():
    (posed,) = _motion(gripper_scale=100.0)
    unknown = ArmTrack("left", None, None, posed.gripper, np.zeros((len(posed.gripper), 6)), "")
    cal = calibrate([(unknown, unknown)], 5.0, "profile")
    assert cal.episodes == 1 and "translation_p90" not in cal.statistics
    assert cal.apply().gripper_threshold == pytest.approx(3.0)
    both = calibrate([(unknown, posed)], 5.0, "profile")
    assert (
        both.statistics["translation_p90"]
        == calibrate([(posed,)], 5.0, "").statistics["translation_p90"]
    )


def test_unknown_rate_is_assumed_and_said():
    cal = calibrate([_motion()], None, "profile")
    assert (cal.control_hz, cal.rate_source, cal.window) == (5.0, "assumed", 4)


def _figures(episodes, config):
    scorer = Scorer(hz=steps_per_second(config))
    for ep in episodes:
        prims = arm_primitives(ep.arms[0], config)
        subtasks = []
        for phase in segments(episode_arm_signals(ep, config), ep.n_steps):
            subtasks += [phase.kind] * (phase.end - phase.start)
        scorer.add(
            truth_from_episode(ep),
            EpisodePrediction(ep.key, subtasks, prims, prims, None, None, 256),
        )
    return scorer.figures()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["labelled", "mm", "rate10"])
def test_auto_thresholds_label_every_variant(tmp_path, name):
    root = write_sample(tmp_path, episodes=2, seed=0, variant=VARIANTS[name])
    dataset = RldsDataset.open(str(root))
    decoder = EpisodeDecoder(dataset, load_profile("ecot_sample"))
    episodes = [
        decoder.decode(raw, s, pos) for s in dataset.shards for pos, raw, _ in read_shard(s)
    ]
    hz = float(episodes[0].ground_truth["control_hz"])
    auto = calibrate([e.arms for e in episodes], hz, "dataset")
    figures = _figures(episodes, auto.apply())
    assert figures["boundaries"]["f1"] >= 0.9
    assert figures["primitives"]["accuracy"] >= 0.9
    if name != "labelled":  # ECoT's fixed numbers do not carry over to other units or rates
        assert _figures(episodes, MotionConfig())["primitives"]["accuracy"] < 0.9
