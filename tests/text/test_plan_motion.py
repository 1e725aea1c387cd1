"""Subtasks that name a gripper act the gripper does not make within them."""

from ecot_annotate.text.plan_motion import subtasks_without_events

MOVES = ["move down"] * 5 + ["close gripper"] * 3 + ["move up"] * 6 + ["open gripper"] * 3 + ["move up"] * 3  # fmt: skip


def _subtasks(grasp_at: int, release_at: int) -> list[str]:
    return [
        "move to the cup" if t < grasp_at
        else "grasp the cup" if t < grasp_at + 3
        else "carry the cup to the bowl" if t < release_at
        else "release the cup" if t < release_at + 3
        else "move the gripper away"
        for t in range(len(MOVES))
    ]  # fmt: skip


def test_subtasks_placed_at_their_events_miss_nothing():
    assert subtasks_without_events(MOVES, _subtasks(5, 14), lead=2) == []


def test_a_close_the_moves_see_coming_counts_within_their_look_ahead():
    """The moves name the close on steps 5-7: it starts within `lead` + 1 steps of one of them."""
    subtasks = _subtasks(5, 14)
    late = subtasks[:5] + ["move to the cup"] * 4 + ["grasp the cup"] * 3 + subtasks[12:]
    assert subtasks_without_events(MOVES, late, lead=2) == []  # step 7 sees as far as step 10
    assert [m.distance for m in subtasks_without_events(MOVES, late, lead=0)] == [1]


def test_the_distance_to_the_nearest_close_is_reported():
    subtasks = _subtasks(5, 14)
    late = subtasks[:5] + ["move to the cup"] * 10 + ["grasp the cup"] * 3 + subtasks[18:]
    [missing] = subtasks_without_events(MOVES, late, lead=0)
    assert (missing.first, missing.last, missing.event) == (15, 17, "close")
    assert missing.distance == 7  # the last move naming the close is step 7: it starts by step 8


def test_a_grasp_with_no_close_at_all_has_no_distance():
    [missing] = subtasks_without_events(["move down"] * 6, ["grasp the cup"] * 6)
    assert missing.event == "close" and missing.distance is None


def test_gripper_and_other_words_that_only_look_like_acts_ask_for_nothing():
    subtasks = ["move the gripper away"] * 3 + ["open the drawer"] * 3 + ["close the lid"] * 3
    assert subtasks_without_events(["move up"] * 9, subtasks) == []
