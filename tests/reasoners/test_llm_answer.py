"""Parsing and validating the LLM's answer text, with fixed answers (no server needed)."""

from __future__ import annotations

import json

import pytest

from ecot_annotate.reasoners.llm_answer import (
    AnswerError,
    parse_answer,
    read_answer,
    validate_answer,
)

PRIMS = ["move left", "move left", "close gripper", "move up", "move up", "open gripper"]


def valid_answer() -> dict:
    return {
        "task": "Pick up the cup and put it in the sink.",
        "subtasks": [
            {
                "name": "grasp the cup",
                "steps": [0, 2],
                "reason": "The cup must be held before it can be moved.",
                "moves": [
                    {
                        "steps": [0, 1],
                        "move": "move left",
                        "reason": "The cup is to the left of the gripper.",
                    },
                    {
                        "steps": [2, 2],
                        "move": "close gripper",
                        "reason": "The gripper is around the cup.",
                    },
                ],
            },
            {
                "name": "put the cup in the sink",
                "steps": [3, 5],
                "reason": "The cup is held, so it can go to the sink.",
                "moves": [
                    {
                        "steps": [3, 4],
                        "move": "move up",
                        "reason": "Lift the cup clear of the counter.",
                    },
                    {
                        "steps": [5, 5],
                        "move": "open gripper",
                        "reason": "The cup is over the sink.",
                    },
                ],
            },
        ],
    }


def test_valid_answer_assembles_every_step():
    steps, problems = read_answer(json.dumps(valid_answer()), PRIMS)
    assert problems == []
    assert [s.move for s in steps] == PRIMS
    assert steps[0].plan == "grasp the cup, put the cup in the sink"
    assert steps[3].plan == "put the cup in the sink"
    assert (
        steps[2].subtask == "grasp the cup"
        and steps[2].move_reason == "The gripper is around the cup."
    )
    assert {s.task for s in steps} == {"Pick up the cup and put it in the sink."}


def test_truncated_json_is_reported_as_truncated():
    text = json.dumps(valid_answer())[:150]
    steps, problems = read_answer(text, PRIMS)
    assert steps is None
    assert "truncated" in problems[0]
    with pytest.raises(AnswerError):
        parse_answer(text)


def test_missing_step_is_found():
    answer = valid_answer()
    answer["subtasks"][1]["steps"] = [3, 4]
    answer["subtasks"][1]["moves"] = answer["subtasks"][1]["moves"][:1]
    steps, problems = read_answer(json.dumps(answer), PRIMS)
    assert steps is None
    assert any("steps 5 to 5 are not covered" in p for p in problems)


def test_overlapping_ranges_are_found():
    answer = valid_answer()
    answer["subtasks"][1]["steps"] = [2, 5]
    problems = validate_answer(answer, PRIMS)
    assert any("covered twice" in p for p in problems)


@pytest.mark.parametrize(
    "wrap",
    [
        lambda s: f"Here is the annotation you asked for:\n{s}\nI hope this helps!",
        lambda s: f"```json\n{s}\n```",
        lambda s: f"Sure.\n```\n{s}\n```\nDone.",
    ],
)
def test_answer_wrapped_in_prose_or_fences_is_read(wrap):
    steps, problems = read_answer(wrap(json.dumps(valid_answer(), indent=2)), PRIMS)
    assert problems == [] and len(steps) == len(PRIMS)


def test_answer_contradicting_the_primitives_is_rejected():
    answer = valid_answer()
    answer["subtasks"][0]["moves"][0]["move"] = "move right"
    problems = validate_answer(answer, PRIMS)
    assert any("names the move 'move right'" in p and "'move left'" in p for p in problems)


def test_moves_that_merge_two_primitives_are_rejected():
    answer = valid_answer()
    answer["subtasks"][0]["moves"] = [{"steps": [0, 2], "move": "move left", "reason": "Go left."}]
    problems = validate_answer(answer, PRIMS)
    assert any("primitive at step 2 is 'close gripper'" in p for p in problems)


def test_at_sign_and_schema_errors_are_rejected():
    answer = valid_answer()
    answer["task"] = "Email it @ the sink."
    assert any("task" in p for p in validate_answer(answer, PRIMS))
    del answer["subtasks"][0]["reason"]
    assert any("'reason' is a required property" in p for p in validate_answer(answer, PRIMS))


def test_no_json_at_all():
    steps, problems = read_answer("I cannot help with that.", PRIMS)
    assert steps is None and problems == ["the answer holds no JSON object"]
