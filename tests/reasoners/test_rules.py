"""The offline reasoner: the run's segments in complete plain sentences, deterministic."""

import re

import numpy as np

from ecot_annotate.episode import Annotation, ArmTrack, Episode, Segment
from ecot_annotate.reasoners.rules import RuleReasoner
from ecot_annotate.text.checks import check_chain, episode_words
from ecot_annotate.text.instruction import parse_instruction
from ecot_annotate.text.plan_motion import episode_disagreements

PICK_PLACE = (
    ["move down"] * 3
    + ["close gripper"] * 2
    + ["move up"] * 2
    + ["move left"] * 3
    + ["open gripper"] * 2
    + ["move up"] * 2
)
PICK_PLACE_SEGMENTS = [
    Segment("reach", 0, 3),
    Segment("grasp", 3, 5),
    Segment("carry", 5, 10),
    Segment("release", 10, 12),
    Segment("retreat", 12, 14),
]


def _episode(instruction: str, n: int) -> Episode:
    zeros = np.zeros((n, 3), np.float32)
    return Episode(
        "k",
        "d",
        instruction,
        [b""] * n,
        (256, 256),
        np.zeros((n, 7), np.float32),
        np.zeros((n, 7), np.float32),
        (ArmTrack("arm", zeros, zeros, np.ones(n), None, "state"),),
        np.zeros(n, bool),
        np.zeros(n, bool),
        np.zeros(n, bool),
    )


def test_chain_per_step_is_complete_and_plain():
    annotation = RuleReasoner().reason(
        _episode("put the carrot on the plate", len(PICK_PLACE)),
        Annotation(arm_primitives={"arm": list(PICK_PLACE)}, segments=PICK_PLACE_SEGMENTS),
    )
    steps = annotation.reasoning
    assert len(steps) == len(PICK_PLACE)
    assert steps[0].task == "Put the carrot on the plate."
    assert (
        steps[0].plan
        == "Move to the carrot, grasp the carrot, carry the carrot to the plate, release the carrot over the plate, move the gripper away."
    )
    assert steps[6].subtask == "Carry the carrot to the plate." and steps[6].plan.startswith(
        "Carry the carrot"
    )
    assert steps[3].move == "close gripper" and "carrot" in steps[3].move_reason
    assert steps[-1].subtask == "Move the gripper away."
    for step in steps:
        for text in step.as_dict().values():
            assert text and not re.search(r"[{}]|\\bNone\\b", text)
    assert annotation.provenance["reasoning_source"] == "rules"


def test_deterministic():
    def make():
        return (
            RuleReasoner()
            .reason(
                _episode("flip pot upright which is in sink", 5),
                Annotation(arm_primitives={"arm": ["tilt down"] * 5}),
            )
            .reasoning
        )

    assert make() == make()
    assert make()[0].subtask == "Move to the pot."


def test_instruction_parts():
    parsed = parse_instruction("put cup from counter or drying rack into sink")
    assert (parsed.verb, parsed.obj, parsed.source, parsed.target) == (
        "put",
        "cup",
        "counter or drying rack",
        "sink",
    )
    assert parsed.phrases == ["cup", "counter", "drying rack", "sink"]
    assert parse_instruction("flip pot upright which is in sink").target == ""
    assert parse_instruction("").phrases == []


def test_a_task_label_is_not_repeated_as_a_step():
    """Before: "Robot_arm_control" gave `PLAN: Hold still, robot_arm_control, hold still.`"""
    assert parse_instruction("Robot_arm_control").text == ""
    assert parse_instruction("pickCube").verb == ""
    moves = ["stop"] * 3 + ["move"] * 4 + ["stop"] * 3
    annotation = Annotation(arm_primitives={"arm": moves})
    steps = RuleReasoner().reason(_episode("Robot_arm_control", len(moves)), annotation).reasoning
    assert steps[0].task == "Robot_arm_control."
    for step in steps:
        text = " ".join(step.as_dict().values())
        assert "robot_arm_control" not in text and not re.search(r": \.|\s\.", text), text


def test_a_gripper_that_opens_on_the_way_is_said_in_the_reach():
    """A real gripper rests closed and opens on its way to the object, and closes again as the
    arm moves off after the release: the subtasks say so, and nothing contradicts the motion."""
    prims = (
        ["move down, open gripper"] * 3
        + ["move down"] * 20
        + ["close gripper"] * 2
        + ["move up"] * 20
        + ["open gripper"] * 2
        + ["move up, close gripper"] * 3
    )
    segments = [
        Segment("reach", 0, 23),
        Segment("grasp", 23, 25),
        Segment("carry", 25, 45),
        Segment("release", 45, 47),
        Segment("retreat", 47, 50),
    ]
    annotation = RuleReasoner().reason(
        _episode("put the carrot on the plate", len(prims)),
        Annotation(arm_primitives={"arm": list(prims)}, segments=segments, event_lead=2),
    )
    subtasks = [s.subtask for s in annotation.reasoning]
    assert subtasks[0] == "Move to the carrot and open the gripper."
    assert subtasks[30] == "Carry the carrot to the plate."
    assert subtasks[-1] == "Move the gripper away and close the gripper."
    moves = [s.move for s in annotation.reasoning]
    assert not any(episode_disagreements(prims, moves, subtasks, 2))


def _chain(
    instruction: str,
    arm_primitives: dict[str, list[str]],
    segments: list[Segment],
    allowed: tuple[str, ...] = (),
):
    """The rule writer's chain: it never contradicts the moves, and it fails no text check but
    the `allowed` ones."""
    n = len(next(iter(arm_primitives.values())))
    annotation = Annotation(arm_primitives=arm_primitives, segments=segments, event_lead=1)
    steps = RuleReasoner().reason(_episode(instruction, n), annotation).reasoning
    prims = annotation.moves
    subtasks = [s.subtask for s in steps]
    assert not any(episode_disagreements(prims, [s.move for s in steps], subtasks, 1))
    tally = check_chain([s.as_dict() for s in steps], episode_words(instruction))
    assert not {c for c, count in tally.by_check.items() if count} - set(allowed), tally.by_check
    return steps


# A right hand that reaches a button, opens then closes as it presses, and moves off.
PRESS_RIGHT = (
    ["move"] * 6
    + ["open gripper"] * 2
    + ["move"] * 4
    + ["stop"] * 6
    + ["close gripper"] * 2
    + ["move"] * 6
)
PRESS_SEGMENTS = [Segment("reach", 0, 12), Segment("act", 12, 20), Segment("retreat", 20, 26)]


def test_a_task_that_names_no_act_is_not_made_a_command():
    """Before, on a real recording whose task is "lingzu teleoperation": "Move to the
    teleoperation and open the right arm's gripper and close the right arm's gripper",
    "Lingzu teleoperation.", "Move the gripper away"."""
    steps = _chain(
        "lingzu teleoperation",
        {"left": ["stop"] * len(PRESS_RIGHT), "right": PRESS_RIGHT},
        PRESS_SEGMENTS,
    )
    assert steps[0].task == "Lingzu teleoperation."  # the dataset's task text, kept as recorded
    assert steps[0].plan == (
        "Move to the target and open the right arm's gripper, interact with the target and close"
        " the right arm's gripper, move the gripper away."
    )
    for step in steps:
        said = " ".join(v for k, v in step.as_dict().items() if k != "task").lower()
        assert "lingzu" not in said and "teleoperation" not in said, said
        assert "in the gripper" not in said and "lets go" not in said, said  # nothing is held


def test_a_spurious_grasp_under_a_task_that_names_no_act():
    """Before: "Grasp the teleoperation.", "Lingzu the teleoperation.", "Release the
    teleoperation."."""
    steps = _chain("lingzu teleoperation", {"arm": list(PICK_PLACE)}, PICK_PLACE_SEGMENTS)
    assert steps[0].plan == (
        "Move to the object, grasp the object, lift the object, release the object, move the"
        " gripper away."
    )


def test_a_pick_up_with_its_place_named():
    """ "on the table" is where the bottle stands: no carry "to the table", no release "over" it."""
    steps = _chain(
        "Pick up the yellow bottle on the table", {"arm": list(PICK_PLACE)}, PICK_PLACE_SEGMENTS
    )
    assert steps[0].plan == (
        "Move to the yellow bottle, grasp the yellow bottle, lift the yellow bottle, release the"
        " yellow bottle, move the gripper away."
    )
    # its act is the whole task, so the act's text is the instruction (which that check counts)
    pressed = _chain(
        "Press the green button", {"arm": PRESS_RIGHT}, PRESS_SEGMENTS, ("repeats_instruction",)
    )
    assert [pressed[t].subtask for t in (0, 12, 20)] == [
        "Move to the green button and open the gripper.",
        "Press the green button and close the gripper.",
        "Move the gripper away.",
    ]


def test_a_task_whose_verb_is_the_carry():
    """Before: the carry of "fold the cloth" was "Fold the cloth.", the instruction word for word."""
    steps = _chain("fold the cloth", {"arm": list(PICK_PLACE)}, PICK_PLACE_SEGMENTS)
    assert steps[6].subtask == "Move the cloth to fold it."
