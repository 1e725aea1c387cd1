"""Parsing, checking and assembling the LLM's answer, with fixed answers (no server needed)."""

from __future__ import annotations

import json
import random

import pytest
from jsonschema import Draft202012Validator

from ecot_annotate.config import LLMConfig
from ecot_annotate.prompt_texts import load_prompts
from ecot_annotate.reasoners.llm_answer import (
    AnswerError,
    assemble,
    check_answer,
    parse_answer,
)
from ecot_annotate.reasoners.llm_input import move_runs
from ecot_annotate.reasoners.llm_schema import MAX_CHARS, answer_schema, text_schema

PRIMS = ["move left", "move left", "close gripper", "move up", "move up", "open gripper"]
RUNS = move_runs(PRIMS)  # 4 moves


def item(subtask: str, reason: str, move_reason: str) -> dict:
    return {"subtask": subtask, "subtask_reason": reason, "move_reason": move_reason}


def valid_answer() -> dict:
    grasp, carry = "grasp the cup", "put the cup in the sink"
    return {
        "task": "Pick up the cup and put it in the sink.",
        "items": [
            item(grasp, "The cup must be held before it can be moved.", "The cup is to the left."),
            item(
                grasp, "The cup must be held before it can be moved.", "The gripper is around it."
            ),
            item(carry, "The cup is held, so it can go to the sink.", "Lift it clear."),
            item(carry, "The cup is held, so it can go to the sink.", "It is over the sink."),
        ],
    }


def test_valid_answer_assembles_every_step_with_the_pipelines_moves():
    checked = check_answer(json.dumps(valid_answer()), len(RUNS))
    assert checked.usable and checked.bad == {}
    steps = assemble(checked.texts, RUNS)
    assert [s.move for s in steps] == PRIMS
    assert steps[0].plan == "grasp the cup, put the cup in the sink"
    assert steps[2].plan == "grasp the cup, put the cup in the sink"
    assert steps[3].plan == "put the cup in the sink"
    assert (
        steps[2].subtask == "grasp the cup" and steps[2].move_reason == "The gripper is around it."
    )
    assert steps[1].move_reason == "The cup is to the left."
    assert {s.task for s in steps} == {"Pick up the cup and put it in the sink."}


def test_wrong_item_count_makes_the_whole_answer_unusable():
    answer = valid_answer()
    answer["items"] = answer["items"][:3]
    checked = check_answer(json.dumps(answer), len(RUNS))
    assert not checked.usable
    assert checked.problems == [
        '"items" has 3 items but the episode has 4 moves: give exactly one item per move'
    ]


def test_bad_texts_are_named_one_by_one():
    answer = valid_answer()
    answer["task"] = "Email it @ the sink."
    answer["items"][1]["move_reason"] = "   "
    answer["items"][2]["subtask_reason"] = "x" * (MAX_CHARS + 1)
    del answer["items"][3]["subtask"]
    checked = check_answer(json.dumps(answer), len(RUNS))
    assert checked.usable
    assert checked.bad == {
        "task": "must not contain the character '@'",
        "items.1.move_reason": "must not be empty",
        "items.2.subtask_reason": f"must be at most {MAX_CHARS} characters (it has {MAX_CHARS + 1})",
        "items.3.subtask": "is missing",
    }


def test_truncated_json_is_reported_as_truncated():
    text = json.dumps(valid_answer())[:150]
    checked = check_answer(text, len(RUNS))
    assert not checked.usable and "truncated" in checked.problems[0]
    with pytest.raises(AnswerError):
        parse_answer(text)


@pytest.mark.parametrize(
    "wrap",
    [
        lambda s: f"Here is the annotation you asked for:\n{s}\nI hope this helps!",
        lambda s: f"```json\n{s}\n```",
        lambda s: f"Sure.\n```\n{s}\n```\nDone.",
    ],
)
def test_answer_wrapped_in_prose_or_fences_is_read(wrap):
    checked = check_answer(wrap(json.dumps(valid_answer(), indent=2)), len(RUNS))
    assert checked.usable and checked.bad == {}


def test_no_json_at_all():
    checked = check_answer("I cannot help with that.", len(RUNS))
    assert checked.problems == ["the answer holds no JSON object"]


MISSING = object()
TEXTS = ["Go left.", "", " lead", "a@b", "x" * MAX_CHARS, "x" * (MAX_CHARS + 1), 7, MISSING]


def _texts(rng: random.Random, names: tuple[str, ...]) -> dict:
    """Mostly good texts, sometimes a bad or missing one."""
    chosen = {name: rng.choice(["ok", "Fine."] * 12 + TEXTS) for name in names}
    return {name: value for name, value in chosen.items() if value is not MISSING}


def test_schema_valid_answers_are_exactly_the_checked_ones():
    """The per-episode schema and the checks agree on every answer: a model constrained by the
    schema cannot produce an answer the checks reject, and the checks reject nothing it allows."""
    rng = random.Random(0)
    validator = Draft202012Validator(answer_schema(len(RUNS)))
    agreed = {True: 0, False: 0}
    for _ in range(400):
        n = rng.choice([len(RUNS)] * 3 + [len(RUNS) - 1, len(RUNS) + 1])
        answer = _texts(rng, ("task",))
        answer["items"] = [
            _texts(rng, ("subtask", "subtask_reason", "move_reason")) for _ in range(n)
        ]
        schema_ok = validator.is_valid(answer)
        checked = check_answer(json.dumps(answer), len(RUNS))
        assert schema_ok == (checked.usable and not checked.bad), answer
        agreed[schema_ok] += 1
    assert agreed[True] > 5 and agreed[False] > 5


def test_the_schema_file_states_the_same_text_rule():
    shape = load_prompts().schema
    assert LLMConfig().max_text_chars == MAX_CHARS
    assert shape["version"] == 2 and shape["$defs"]["text"] == text_schema(MAX_CHARS)
    per_episode = answer_schema(3)
    assert per_episode["properties"]["items"]["minItems"] == 3
    assert per_episode["properties"]["items"]["maxItems"] == 3
