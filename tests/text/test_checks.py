"""The text checks, on texts from real runs over the Bridge sample: the rule writer's, which
must pass, and the embedded SmolLM2-135M's, which must fail where they are wrong."""

import pytest

from ecot_annotate.text.checks import (
    CHECKS,
    check_chain,
    check_finished,
    check_known_objects,
    check_move_reason,
    check_no_repeats,
    check_not_instruction,
    check_only_moves,
    check_plan_order,
    check_subtask_object,
    episode_words,
    field_failures,
)

FLIP = episode_words("flip pot upright which is in sink")
CUP = episode_words("put cup from counter or drying rack into sink")
CARROT = episode_words("put carrot on plate", caption="a carrot and a plate on a wooden table")


@pytest.mark.parametrize(
    "text",
    [
        "Move to the pot.",
        "Carry the cup to the sink.",
        "Move the gripper away.",
        "The gripper holds still for a moment before going on to move to the pot.",
        "Closing the gripper takes hold of the carrot.",
    ],
)
def test_sentences_are_more_than_move_names(text):
    assert check_only_moves(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "stop, tilt down, stop",
        "stop",
        "tilt down",
        "move right",
        "rotate clockwise",
        "move left, close gripper",
    ],
)
def test_move_names_alone_fail(text):
    assert "only move names" in check_only_moves(text)


def test_the_instruction_repeated_fails_only_where_it_names_an_object():
    assert "repeats the instruction" in check_not_instruction(
        "flip pot upright which is in sink", FLIP
    )
    assert "repeats the instruction" in check_not_instruction(
        "Put cup from counter or drying rack into sink.", CUP
    )
    assert check_not_instruction("Flip the pot.", FLIP) is None
    assert check_not_instruction("Move to the cup.", CUP) is None
    # inside a sentence too (SmolLM2, edit mode from notes, as a subtask and a move reason)
    assert "repeats the instruction" in check_not_instruction(
        "The task is to flip the pot upright which is in the sink.", FLIP
    )
    assert check_not_instruction("Flip the pot upright.", FLIP) is None
    # with no object to split the task around, the single subtask is the instruction itself
    assert check_not_instruction("wipe", episode_words("wipe")) is None


@pytest.mark.parametrize(
    "reason, move",
    [
        ("The gripper holds still for a moment before going on to move to the pot.", "stop"),
        ("To move to the pot, the gripper must tilt down to get closer to the pot.", "tilt down"),
        (
            "To move to the cup, the gripper must move forward, rotate clockwise to get closer to the cup.",
            "move forward, rotate clockwise",
        ),
        ("Closing the gripper takes hold of the carrot.", "close gripper"),
        ("close the gripper on the pot", "close gripper"),
        ("Opening the gripper lets go of the cup.", "move down, open gripper"),
        ("The gripper holds still before going on to pick up the cup.", "stop"),
        ("To move to the cup, the gripper first goes to it.", "stop"),  # SmolLM2, edit mode
        ("The gripper pauses here before it goes on.", "stop"),  # SmolLM2, edit mode from notes
        ("Shifting down brings the gripper closer to the cup", "move down"),
    ],
)
def test_move_reasons_that_agree_with_their_move(reason, move):
    assert check_move_reason(reason, move, CUP) is None


@pytest.mark.parametrize(
    "reason, move, named",
    [
        ("to tilt it down", "stop", "down, tilt"),
        ("tilt down", "move right", "down, tilt"),
        ("move down", "rotate clockwise", "down"),
        ("open the gripper to let go of the cup", "close gripper", "open"),
        ("The gripper moves left toward the cup.", "move right", "left"),
        (  # SmolLM2, edit mode from notes: the example's sentence for a pause, on a move
            "The gripper pauses here before it goes on. The next step is to move the pot to the next stage.",
            "tilt down",
            "stop",
        ),
        ("The arm stays still for a moment.", "move left", "stop"),
    ],
)
def test_move_reasons_naming_another_move_fail(reason, move, named):
    assert check_move_reason(reason, move, CUP) == f"names {named} but the move is '{move}'"


def test_a_direction_the_instruction_holds_is_not_a_claim_about_the_move():
    left = episode_words("put the pot on the left burner")
    assert (
        check_move_reason("Before going on to carry the pot to the left burner.", "stop", left)
        is None
    )


def test_subtasks_name_what_the_instruction_acts_on():
    assert check_subtask_object("Carry the cup to the sink.", CUP) is None
    assert check_subtask_object("Grasp the cups.", CUP) is None
    assert check_subtask_object("Move the gripper away.", CUP) is None
    assert check_subtask_object("tilt down", FLIP) == "names none of: pot, sink"
    assert "names none of" in check_subtask_object("rotate clockwise", CUP)
    assert check_subtask_object("wipe the table", episode_words("wipe")) is None


def test_the_plan_lists_the_subtasks_in_order():
    subtasks = ["Move to the carrot.", "Grasp the carrot.", "Carry the carrot to the plate."]
    plan = "Move to the carrot, grasp the carrot, carry the carrot to the plate."
    assert check_plan_order(plan, subtasks) is None
    assert check_plan_order(plan, subtasks[1:]) is None
    swapped = "Grasp the carrot, move to the carrot, carry the carrot to the plate."
    assert "after the ones before it" in check_plan_order(swapped, subtasks)
    assert "does not list" in check_plan_order(
        "stop, tilt down, stop", ["flip pot upright which is in sink"]
    )


def test_named_objects_come_from_the_instruction_caption_or_detections():
    assert check_known_objects("Closing the gripper takes hold of the carrot.", CARROT) is None
    assert check_known_objects("Set the carrot down on the wooden table.", CARROT) is None
    assert (
        check_known_objects("Grasp the banana.", CARROT)
        == "names banana, which the episode does not show"
    )
    detected = episode_words("put carrot on plate", labels=["banana"])
    assert check_known_objects("Grasp the banana.", detected) is None


@pytest.mark.parametrize(
    "text",
    [
        "The pot has to be in the gripper before it can be moved, so the gripper first goes to it.",
        "To carry the cup to the sink, the gripper must move down to get with the cup toward the sink.",
        "To carry the cup, the arms move (left arm: move forward, close gripper; right arm: move "
        "forward, close gripper) to get with the cup along.",
        "The gripper has to get to the pot before it can pick it up.",
    ],
)
def test_sentences_saying_each_thing_once_pass(text):
    assert check_no_repeats(text) is None


@pytest.mark.parametrize(
    "text",
    [  # SmolLM2-135M's decoding loops, from embedded runs on the Bridge sample
        "The next step is to move the pot to the next stage. The next step is to move the pot to "
        "the next stage. The next step is to move the next stage. The next step,",
        "To move the cup to the sink, the task must be done in one move, the task must be done in "
        "one move, the task must be done in one move, the task must be done in a",
    ],
)
def test_texts_that_loop_fail(text):
    assert "same words twice" in check_no_repeats(text)
    assert "repeats_itself" in field_failures("move_reason", text, CUP, move="stop")


def test_sentences_that_stop_midway_fail():
    # SmolLM2-135M, edit mode from notes: a move reason that trails away, and one cut off
    assert "mid-sentence" in check_finished("The move is")
    assert "mid-sentence" in check_finished(
        "To move the cup to the sink, the task must be done in one move, the task must be done in a"
    )
    assert check_finished("Shifting down brings the gripper closer to the cup") is None
    assert check_finished("Move the gripper away.") is None
    assert check_finished("The cup is in place, so the gripper moves clear of it.") is None


def test_the_issue_examples_fail_where_they_stand():
    assert "only_moves" in field_failures("plan", "stop, tilt down, stop", FLIP, subtasks=["stop"])
    assert "only_moves" in field_failures("subtask", "stop", FLIP)
    assert "move_reason_disagrees" in field_failures(
        "move_reason", "to tilt it down", FLIP, move="stop"
    )
    assert "repeats_instruction" in field_failures(
        "subtask", "flip pot upright which is in sink", FLIP
    )
    assert "only_moves" in field_failures("subtask_reason", "tilt down", FLIP)


def test_a_chain_counts_each_distinct_text_once():
    rules = {
        "task": "Put carrot on plate.",
        "plan": "Move to the carrot, grasp the carrot.",
        "subtask": "Move to the carrot.",
        "subtask_reason": "The carrot has to be in the gripper before it can be moved, so the gripper first goes to it.",
        "move": "move down",
        "move_reason": "To move to the carrot, the gripper must move down to get closer to the carrot.",
    }
    grasp = {
        **rules,
        "plan": "Grasp the carrot.",
        "subtask": "Grasp the carrot.",
        "subtask_reason": "The gripper is at the carrot, so it closes to hold it.",
        "move": "close gripper",
        "move_reason": "Closing the gripper takes hold of the carrot.",
    }
    tally = check_chain([rules, rules, grasp], CARROT)
    assert (tally.fields, tally.failing) == (9, 0)
    bad = {**grasp, "subtask": "stop", "plan": "stop", "move_reason": "tilt down"}
    tally = check_chain([rules, bad], CARROT)
    # the first step's plan fails too: it does not list the "stop" subtask that follows
    assert tally.fields == 9 and tally.failing == 4
    assert set(tally.by_check) == set(CHECKS)
    assert tally.by_check["only_moves"] == 3 and tally.by_check["plan_out_of_order"] == 1
