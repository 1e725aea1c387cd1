"""Subtasks of two arms: split at either arm's gripper events; the move text names each arm."""

from __future__ import annotations

from ecot_annotate.episode import Annotation
from ecot_annotate.reasoners.phases import (
    is_still,
    split_arm_phases,
    split_at_every_event,
    split_at_pauses,
    split_phases,
)


def _two_arms() -> Annotation:
    left = ["move down"] * 3 + ["close gripper"] * 2 + ["move up"] * 10 + ["open gripper"] * 2
    left += ["stop"] * 3
    right = ["stop"] * 6 + ["move left"] * 2 + ["close gripper"] * 2 + ["move up"] * 10
    return Annotation(arm_primitives={"left": left, "right": right})


def test_the_move_names_each_arm():
    moves = _two_arms().moves
    assert moves[3] == "left arm: close gripper; right arm: stop"
    assert moves[8] == "left arm: move up; right arm: close gripper"
    assert Annotation(arm_primitives={"arm": ["stop"]}).moves == ["stop"]


def test_two_arms_split_at_either_arms_events():
    arms = _two_arms().arm_primitives
    phases = [(p.kind, p.start, p.end) for p in split_arm_phases(arms)]
    assert phases == [
        ("reach", 0, 3),
        ("grasp", 3, 5),  # the left arm closes
        ("carry", 5, 8),
        ("grasp", 8, 10),  # the right arm closes
        ("carry", 10, 15),
        ("release", 15, 17),  # the left arm opens
        ("retreat", 17, 20),
    ]
    single = [(p.kind, p.start, p.end) for p in split_phases(arms["left"])]
    assert len(single) < len(phases)  # one arm's rule would miss the right arm's grasp
    one = {"arm": arms["left"]}
    assert [(p.kind, p.start, p.end) for p in split_arm_phases(one)] == single


def test_still_means_every_arm_stops():
    assert is_still("stop") and is_still("left arm: stop; right arm: stop")
    assert not is_still("left arm: stop; right arm: move") and not is_still("move up")


def test_no_gripper_event_is_one_phase():
    assert [p.kind for p in split_at_every_event([["move"] * 4], has_object=False)] == ["act"]


def test_an_arm_with_no_model_splits_its_subtasks_at_pauses():
    prims = ["move"] * 4 + ["stop"] * 5 + ["move"] * 3 + ["stop"] * 2 + ["move"]
    phases = split_at_pauses(split_phases(prims, has_object=False), prims, 4)
    assert [(p.kind, p.start, p.end) for p in phases] == [
        ("act", 0, 4),
        ("pause", 4, 9),  # five still steps: a pause; the two later ones are too short
        ("act", 9, 15),
    ]


def test_one_arm_opening_while_the_other_closes_is_two_events():
    # A primitive looks ahead: with a lead of 2 the right arm's gripper starts closing at 5 and
    # the left arm's starts opening at 8, while the right arm's run still names its close.
    left = ["move"] * 6 + ["open gripper"] * 5 + ["stop"] * 3
    right = ["move"] * 3 + ["close gripper"] * 5 + ["stop"] * 6
    phases = [(p.kind, p.start, p.end) for p in split_at_every_event([left, right], lead=2)]
    assert phases == [
        ("reach", 0, 5),
        ("grasp", 5, 8),  # the right arm closes
        ("release", 8, 11),  # the left arm opens
        ("retreat", 11, 14),
    ]


def test_an_arm_releasing_during_the_other_arms_grasp_keeps_every_change():
    right = ["move"] * 3 + ["close gripper"] * 5 + ["stop"] * 6
    left = ["move"] * 5 + ["open gripper"] * 5 + ["stop"] * 4
    phases = [(p.kind, p.start, p.end) for p in split_at_every_event([left, right])]
    assert phases == [
        ("reach", 0, 3),
        ("grasp", 3, 5),  # the right arm closes
        ("release", 5, 8),  # the left arm opens while the right arm still closes
        ("carry", 8, 10),  # the right arm's grasp ends: it carries
        ("retreat", 10, 14),  # the left arm's release ends
    ]
