"""Committed annotations reload bit for bit, and runs committed before every episode was N arms
still resume."""

from __future__ import annotations

import json

from ecot_annotate.episode import Annotation, StepReasoning
from ecot_annotate.store.annotation_io import (
    FORMAT_VERSION,
    annotation_from_json,
    annotation_to_json,
)


def _step(move: str) -> dict:
    return {"__type__": "StepReasoning", **StepReasoning("t", "p", "s", "r", move, "m").as_dict()}


def _version_1(primitives: list[str], arm_primitives: dict) -> str:
    """A committed annotation as version 1 wrote it: the first arm apart, every arm's for two."""
    body = {
        "__type__": "Annotation",
        "primitives": primitives,
        "arm_primitives": arm_primitives,
        "event_lead": 2,
        "split_at_pauses": False,
        "reasoning": [_step(p) for p in primitives],
        "caption": None,
        "bboxes": None,
        "gripper": None,
        "gripper_reason": None,
        "gripper_fit_rms_px": None,
        "gripper_fit_inliers": None,
        "provenance": {},
    }
    return json.dumps({"version": 1, "key": "k", "annotation": body})


def test_every_arm_round_trips():
    arms = {"left": ["stop", "move up"], "right": ["close gripper", "stop"]}
    key, again = annotation_from_json(annotation_to_json("k", Annotation(arm_primitives=arms)))
    assert key == "k" and again.arm_primitives == arms
    assert json.loads(annotation_to_json("k", again))["version"] == FORMAT_VERSION == 2


def test_version_1_annotations_still_load_as_arms():
    _, one = annotation_from_json(_version_1(["stop", "move up"], {}))
    assert one.arm_primitives == {"arm": ["stop", "move up"]} and one.event_lead == 2
    arms = {"left": ["stop", "stop"], "right": ["move up", "stop"]}
    _, two = annotation_from_json(_version_1(arms["left"], arms))
    assert two.arm_primitives == arms  # the step's move now names both arms
    assert two.moves[0] == "left arm: stop; right arm: move up"
