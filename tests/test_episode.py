"""Every episode is N arms: one arm's move is its own primitive, several arms' name each arm."""

from __future__ import annotations

from ecot_annotate.episode import Annotation, name_arms, per_arm_parts


def test_one_arm_is_its_own_primitive_and_two_are_each_named():
    assert name_arms({"arm": "move up"}) == "move up"
    two = {"left": "stop", "right": "move up, close gripper"}
    assert name_arms(two) == "left arm: stop; right arm: move up, close gripper"
    assert per_arm_parts(name_arms(two)) == two
    assert per_arm_parts("move up, close gripper") == {"arm": "move up, close gripper"}
    assert name_arms({"left": "a", "right": "b"}, label="") == "left: a; right: b"


def test_a_move_names_every_arm_at_every_step():
    one = Annotation(arm_primitives={"arm": ["stop", "move up"]})
    assert (one.moves, one.named_arms, one.n_steps) == (["stop", "move up"], {}, 2)
    two = Annotation(arm_primitives={"left": ["stop", "stop"], "right": ["move up", "stop"]})
    assert two.moves == ["left arm: stop; right arm: move up", "left arm: stop; right arm: stop"]
    assert two.named_arms == two.arm_primitives


def test_a_persons_move_goes_to_the_arms_it_names():
    two = Annotation(arm_primitives={"left": ["stop"] * 3, "right": ["stop"] * 3})
    two.set_move(0, "left arm: move up; right arm: close gripper")
    two.set_move(1, "right arm: open gripper")  # the left arm keeps its primitive
    two.set_move(2, "move down")  # names no arm: every arm's
    assert two.arm_primitives == {
        "left": ["move up", "stop", "move down"],
        "right": ["close gripper", "open gripper", "move down"],
    }
    one = Annotation(arm_primitives={"arm": ["stop"]})
    one.set_move(0, "move left")
    assert one.moves == ["move left"]
