"""Scoring against ground truth and human labels: boundary F1 (WGO-Bench style), primitives, pixels."""

import json

import numpy as np
import pytest

from ecot_annotate.errors import InputError
from ecot_annotate.inspect.score import (
    EpisodePrediction,
    EpisodeTruth,
    Scorer,
    boundaries,
    matched_boundaries,
)
from ecot_annotate.inspect.score_run import labelled_subtasks, read_labels, score_predictions


def test_boundaries_match_within_the_tolerance_each_once_optimally():
    assert boundaries(["a", "a", "b", "b", "c"]) == [2, 4]
    assert matched_boundaries([3, 9], [2, 7], 1) == 1  # 3 is 1 from 2; 9 is 2 from 7
    assert matched_boundaries([2, 3], [2], 1) == 1  # one true boundary matches one prediction
    assert matched_boundaries([5], [4, 6], 1) == 1
    # Nearest first would pair 2 with 2 and leave 3 alone; the optimal matching pairs both.
    assert matched_boundaries([2, 3], [1, 2], 1) == 2
    assert matched_boundaries([], [1], 1) == matched_boundaries([1], [], 1) == 0


def test_the_tolerance_is_in_seconds_at_the_runs_rate():
    truth = EpisodeTruth("e", subtasks=["a"] * 20 + ["b"] * 20)
    pred = _pred(["a"] * 24 + ["b"] * 16, ["stop"] * 40)  # 4 steps late
    at_10hz, at_50hz = Scorer(hz=10.0), Scorer(hz=50.0)
    at_10hz.add(truth, pred)
    at_50hz.add(truth, pred)
    assert at_10hz.figures()["boundaries"]["f1"] == 1.0  # 0.4 s late: within 0.5 s
    figures = at_50hz.figures()  # 0.08 s late at 50 Hz
    assert figures["boundaries"]["f1"] == 1.0 and figures["boundary_tolerance_s"] == 0.5
    strict = Scorer(tolerance_s=0.05, hz=50.0)
    strict.add(truth, pred)
    figures = strict.figures()
    assert figures["boundaries"]["f1"] == 0.0
    assert figures["boundaries_at"]["0.5"]["f1"] == figures["boundaries_at"]["1"]["f1"] == 1.0


def _pred(subtasks, prims, gripper=None, boxes=None):
    return EpisodePrediction("e", subtasks, prims, prims, gripper, boxes, 256)


def test_figures_of_a_hand_made_episode():
    truth = EpisodeTruth(
        "e",
        subtasks=["approach"] * 3 + ["grasp"] * 2 + ["carry"] * 3,
        primitives=["move down"] * 3 + ["close gripper"] * 2 + ["move up"] * 3,
        gripper=np.zeros((8, 2)),
        boxes=np.tile([[10.0, 10.0, 30.0, 30.0]], (8, 1, 1)),
        names=["cup"],
        image_width=128,  # the run's image is twice as wide: truth scales by 2
    )
    pred = _pred(
        ["reach"] * 4 + ["grasp"] * 1 + ["carry"] * 3,  # boundaries 4 (true 3: hit) and 5 (hit)
        ["move down"] * 2 + ["stop"] + ["close gripper"] * 2 + ["move up"] * 3,
        gripper=np.tile([3.0, 4.0], (8, 1)),
        boxes=[[{"label": "cup", "box": [20, 20, 60, 60], "track": 0}]] * 6 + [[]] * 2,
    )
    scorer = Scorer()
    scorer.add(truth, pred)
    figures = scorer.figures()
    assert figures["boundaries"]["f1"] == 1.0
    assert figures["primitives"]["accuracy"] == 7 / 8
    assert figures["primitives"]["confusion"]["move"] == {"move": 5, "stop": 1}
    assert figures["gripper_px"]["median"] == 5.0
    assert figures["boxes"]["cup"] == {"steps": 8, "mean_iou": 0.75, "recall": 0.75}
    assert figures["tracks"]["id_constancy"] == 0.75
    assert figures["plan_motion_agreement"] == 1.0  # step 3's close leads into "grasp"


def test_human_labels_carry_forward_and_bad_lines_are_named(tmp_path):
    path = tmp_path / "labels.jsonl"
    rows = [
        {"episode": "e", "step": 0, "subtask": "reach the cup"},
        {"episode": "e", "step": 4, "subtask": "pick it up"},
        {"episode": "other", "step": 0, "subtask": "x"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    labels = read_labels(path)
    assert labelled_subtasks(labels["e"], 6) == ["reach the cup"] * 4 + ["pick it up"] * 2
    figures = score_predictions(iter([_pred(["a"] * 3 + ["b"] * 3, ["stop"] * 6)]), {}, labels)
    assert figures["episodes"] == 1
    assert (
        figures["boundaries"]
        == figures["boundaries_at"]["0.5"]
        == {
            "true": 1,
            "predicted": 1,
            "matched": 1,
            "precision": 1.0,
            "recall": 1.0,
            "f1": 1.0,
        }
    )
    path.write_text('{"episode": "e", "subtask": "no step"}\n')
    with pytest.raises(InputError, match="labels.jsonl:1"):
        read_labels(path)


def test_two_arms_score_each_arm_against_its_own_truth():
    left = ["approach"] * 4 + ["grasp"] * 4
    right = ["approach"] * 6 + ["grasp"] * 2
    truth = EpisodeTruth(
        "e",
        subtasks=[f"{a} / {b}" for a, b in zip(left, right, strict=True)],
        arm_primitives={"left": ["stop"] * 8, "right": ["move up"] * 8},
        arm_subtasks={"left": left, "right": right},
    )
    # Boundaries at 4 (left's), 6 (right's) and 2 (no arm's): 2 counts against both arms.
    subtasks = ["a"] * 2 + ["b"] * 2 + ["c"] * 2 + ["d"] * 2
    pred = EpisodePrediction(
        "e",
        subtasks,
        ["stop"] * 8,
        ["stop"] * 8,
        None,
        None,
        256,
        arm_primitives={"left": ["stop"] * 8, "right": ["move up"] * 6 + ["stop"] * 2},
    )
    scorer = Scorer()
    scorer.add(truth, pred)
    arms = scorer.figures()["arms"]
    assert arms["left"]["primitive_accuracy"] == 1.0
    assert arms["right"]["primitive_accuracy"] == 0.75
    assert arms["left"]["boundaries"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667}
    assert arms["right"]["boundaries"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667}
