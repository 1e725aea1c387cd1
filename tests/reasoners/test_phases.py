"""The segments the reasoners describe: the run's, or the episode's own signals for a library
caller that ran no stage; the move text names each arm."""

from __future__ import annotations

import numpy as np

from ecot_annotate.episode import Annotation, ArmTrack, Episode, Segment
from ecot_annotate.reasoners.phases import (
    describe_phase,
    episode_segments,
    is_still,
    named_thing,
    with_gripper_changes,
)
from ecot_annotate.text.instruction import parse_instruction
from ecot_annotate.text.plan_motion import episode_disagreements


def _episode(xyz: np.ndarray, gripper: np.ndarray) -> Episode:
    n = len(xyz)
    zeros = np.zeros((n, 3), np.float32)
    return Episode(
        "k", "d", "put the cup in the sink", [], (0, 0), np.zeros((n, 7), np.float32),
        np.zeros((n, 7), np.float32), (ArmTrack("arm", xyz, zeros, gripper, None, "state"),),
        np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool),
    )  # fmt: skip


def _pick_place() -> Episode:
    """A 5 Hz pick-and-place in metres (ECoT's fixed window is made for 5 Hz)."""
    n = 40
    x = np.interp(np.arange(n), [0, 8, 14, 24, 30, 38], [0, 0.3, 0.3, 0.6, 0.6, 0.9])
    gripper = np.interp(np.arange(n), [0, 9, 11, 25, 27, 39], [1, 1, 0, 0, 1, 1])
    return _episode(np.stack([x, np.zeros(n), np.zeros(n)], axis=1), gripper)


def test_the_move_names_each_arm():
    left, right = ["move down", "close gripper"], ["stop", "move up"]
    moves = Annotation(arm_primitives={"left": left, "right": right}).moves
    assert moves == ["left arm: move down; right arm: stop", "left arm: close gripper; right arm: move up"]  # fmt: skip
    assert Annotation(arm_primitives={"arm": ["stop"]}).moves == ["stop"]
    assert is_still("left arm: stop; right arm: stop") and not is_still(moves[0])


def test_the_runs_segments_are_used_as_they_are():
    made = [Segment("reach", 0, 3), Segment("grasp", 3, 5, ("state gripper closes at 3",))]
    episode = _pick_place()
    assert episode_segments(episode, Annotation(segments=made), True) is made


def test_without_the_stage_the_episode_is_segmented_from_its_own_signals():
    episode = _pick_place()
    found = episode_segments(episode, Annotation(), True)
    assert [s.kind for s in found] == ["reach", "grasp", "carry", "release", "retreat"]
    assert found[0].start == 0 and found[-1].end == episode.n_steps
    still = _episode(np.zeros((10, 3)), np.ones(10))
    assert [s.kind for s in episode_segments(still, Annotation(), False)] == ["act"]


def test_each_kind_in_the_instructions_words():
    parsed = parse_instruction("put the cup in the sink")
    assert describe_phase("retry", parsed, "cup") == "open the gripper and move to the cup again"
    assert describe_phase("carry", parsed, "cup") == "carry the cup to the sink"
    press = parse_instruction("press the green button")
    assert describe_phase("act", press, "green button") == "press the green button"


PRESS = [Segment("reach", 0, 4), Segment("act", 4, 8), Segment("retreat", 8, 12)]
PICK = [Segment("reach", 0, 4), Segment("grasp", 4, 6), Segment("carry", 6, 12)]


def _subtasks(task: str, phases: list[Segment]) -> list[str]:
    parsed = parse_instruction(task)
    return [describe_phase(p.kind, parsed, named_thing(parsed, phases)) for p in phases]


def test_a_task_that_names_no_act_gets_neutral_subtasks():
    """Before: "lingzu teleoperation" gave "Move to the teleoperation", "Lingzu teleoperation.",
    and with a grasp "Grasp the teleoperation.", "Lingzu the teleoperation."."""
    for task in ("lingzu teleoperation", "teleop", "demo", "data collection", "Robot_arm_control"):
        assert _subtasks(task, PRESS) == [
            "move to the target",
            "interact with the target",
            "move the gripper away",
        ], task
        assert _subtasks(task, PICK) == [
            "move to the object",
            "grasp the object",
            "lift the object",
        ]


def test_real_task_texts_give_their_own_subtasks():
    assert _subtasks("Press the green button", PRESS) == [
        "move to the green button",
        "press the green button",
        "move the gripper away",
    ]
    assert _subtasks("Pick up the yellow bottle on the table", PICK) == [
        "move to the yellow bottle",
        "grasp the yellow bottle",
        "lift the yellow bottle",  # the table is where the bottle stands, not where it goes
    ]
    assert _subtasks("pick up the box", PICK)[1:] == ["grasp the box", "lift the box"]
    assert _subtasks("fold the cloth", PICK)[2] == "move the cloth to fold it"
    assert _subtasks("Pick up the yellow bottle on the table", PRESS)[1] == (
        "pick up the yellow bottle"
    )


def _gripper_subtasks(moves: list[str], phases: list[Segment]) -> list[str]:
    parsed = parse_instruction("lingzu teleoperation")
    texts = [describe_phase(p.kind, parsed, named_thing(parsed, phases)) for p in phases]
    subtasks = with_gripper_changes(phases, texts, moves, 0)
    per_step = [subtasks[i] for i, p in enumerate(phases) for _ in p.steps()]
    assert not any(episode_disagreements(moves, moves, per_step, 0))
    return subtasks


def test_a_gripper_that_opens_then_closes_is_said_once():
    """Before: "Move the gripper away and open the right arm's gripper and close the right arm's
    gripper."; each arm's changes are said once, in order, and never contradict the moves."""
    right = "left arm: stop; right arm: {}"
    moves = (
        [right.format("move")] * 2
        + [right.format("open gripper")] * 2
        + [right.format("move")] * 3
        + [right.format("close gripper")] * 2
        + [right.format("move")] * 3
    )
    phases = [Segment("reach", 0, 12)]
    assert _gripper_subtasks(moves, phases) == [
        "move to the target and open then close the right arm's gripper"
    ]
    both = ["left arm: close gripper; right arm: open gripper"] * 2 + moves[2:]
    assert _gripper_subtasks(both, [Segment("retreat", 0, 12)]) == [
        "move the gripper away and close the left arm's gripper and open then close the right"
        " arm's gripper"
    ]
    back_and_forth = ["open gripper", "close gripper", "move", "open gripper", "move"]
    assert _gripper_subtasks(back_and_forth, [Segment("reach", 0, 5)]) == [
        "move to the target and open and close the gripper"
    ]
