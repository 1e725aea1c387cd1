"""The instruction parser: verb, object and places from real task texts, and nothing from a task
text that names no act (a dataset's or a robot's name)."""

import pytest

from ecot_annotate.text.instruction import parse_instruction
from ecot_annotate.text.vocabulary import object_vocabulary


@pytest.mark.parametrize(
    "task",
    [
        "lingzu teleoperation",
        "teleop",
        "demo",
        "data collection",
        "Robot_arm_control",
        "pickCube",
        "move_slider_left",
        "",
    ],
)
def test_a_task_that_names_no_act_gives_nothing(task):
    """Before: "lingzu teleoperation" was read as the verb "lingzu" acting on "teleoperation",
    which the subtasks then repeated and the detector was prompted with."""
    parsed = parse_instruction(task)
    assert (parsed.text, parsed.verb, parsed.obj, parsed.target, parsed.phrases) == (
        "",
        "",
        "",
        "",
        [],
    )
    assert object_vocabulary(task) == []


@pytest.mark.parametrize(
    "task, verb, obj, source, target",
    [
        ("pick up the box", "pick up", "box", "", ""),
        ("fold the cloth", "fold", "cloth", "", ""),
        ("Pick up the yellow bottle on the table", "pick up", "yellow bottle", "table", ""),
        ("Press the green button", "press", "green button", "", ""),
        ("put the carrot on the plate", "put", "carrot", "", "plate"),
        ("Please put the cup in the sink.", "put", "cup", "", "sink"),
        ("pick the squash from the counter and place it in the plate", "pick", "squash", "counter", "plate"),
        ("Push the T-shaped block onto the T-shaped target.", "push", "t-shaped block", "", "t-shaped target"),
        ("knock over the bottle on the shelf", "knock over", "bottle", "shelf", ""),
    ],
)  # fmt: skip
def test_real_task_texts(task, verb, obj, source, target):
    parsed = parse_instruction(task)
    assert (parsed.verb, parsed.obj, parsed.source, parsed.target) == (verb, obj, source, target)


def test_a_place_after_a_second_verb_is_where_it_goes():
    """ "pick up X and put it on Y": Y belongs to "put", a placing verb, so it is the target."""
    parsed = parse_instruction("pick up the red block and put it in the bowl")
    assert (parsed.obj, parsed.source, parsed.target) == ("red block", "", "bowl")


@pytest.mark.parametrize(
    "task, verb, obj, target",
    [
        ("Picking up the banana", "pick up", "banana", ""),
        ("picks the red cube and places it in the box", "pick", "red cube", "box"),
        ("Placed the cup on the plate", "place", "cup", "plate"),
        ("dropping the sponge into the sink", "drop", "sponge", "sink"),
        ("Pushes the block", "push", "block", ""),
        ("folding the cloth", "fold", "cloth", ""),
    ],
)
def test_a_task_written_as_a_description_or_a_title_reads_as_its_command(task, verb, obj, target):
    """Datasets name their tasks as commands, descriptions ("picks ...") and titles ("Picking
    up ..."); each is the same act."""
    parsed = parse_instruction(task)
    assert (parsed.verb, parsed.obj, parsed.target) == (verb, obj, target)
