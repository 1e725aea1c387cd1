"""Corrections lines as the format documents them: each kind's fields and types, nothing else."""

from __future__ import annotations

import pytest

from ecot_annotate.store.correction_changes import (
    BoxEdit,
    FieldEdit,
    StepSpan,
    SubtaskStart,
    Verdict,
)
from ecot_annotate.store.correction_lines import Line
from ecot_annotate.store.json_values import TEXT_LIMIT, LineError

HEADER = {"time": "2026-01-01T00:00:00+00:00", "reviewer": "ann", "episode": "e", "config_hash": "h"}  # fmt: skip


def _parse(**change) -> Line:
    return Line.parse({**HEADER, **change})


def test_each_kind_parses_to_its_dataclass_and_back():
    lines = [
        {**HEADER, "version": 3, "id": "a-1", "verdict": "reject", "reason": "wrong cup"},
        {**HEADER, "field": "move_reason", "steps": [2, 4], "value": "to reach the cup"},
        {**HEADER, "subtask_start": 5, "subtask": "grasp the cup"},
        {**HEADER, "box": {"step": 1, "track": 7}, "action": "relabel", "label": "mug"},
        {**HEADER, "box": {"step": 1, "track": 0}, "action": "delete"},
        {
            **HEADER,
            "version": 0,
            "verdict": "accept",
            "reason": "",
            "conflict": {"time": "t", "reviewer": "bo", "version": 0},
        },  # fmt: skip
    ]
    parsed = [Line.parse(obj) for obj in lines]
    kinds = [type(line.change) for line in parsed]
    assert kinds == [Verdict, FieldEdit, SubtaskStart, BoxEdit, BoxEdit, Verdict]
    assert [line.to_json() for line in parsed] == lines
    assert parsed[1].change.steps == StepSpan(2, 4) and list(parsed[1].change.steps) == [2, 3, 4]
    assert _parse(verdict="accept").change == Verdict("accept", "")  # an accept needs no reason


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"verdict": "accept", "evil": "x"}, "has no field 'evil'"),
        ({"verdict": "accept", "token": "t"}, "has no field 'token'"),
        ({"verdict": "maybe"}, "verdict must be one of accept, reject"),
        ({"verdict": "reject", "reason": ""}, "'reason' must not be empty"),
        ({"verdict": "reject", "reason": "   "}, "'reason' must not be empty"),
        ({"verdict": "reject", "reason": {"nested": "x"}}, "'reason' must be text"),
        (
            {"verdict": "accept", "field": "plan", "steps": [0, 0], "value": "x"},
            "exactly one change",
        ),  # fmt: skip
        ({"reason": "no kind"}, "exactly one change"),
        ({"field": "plan", "steps": [True, True], "value": "x"}, "'steps' must be a whole number"),
        ({"field": "plan", "steps": [0.0, 1], "value": "x"}, "'steps' must be a whole number"),
        ({"field": "plan", "steps": [-1, 1], "value": "x"}, "'steps' must be a whole number"),
        ({"field": "plan", "steps": [3, 1], "value": "x"}, "first step comes after the last"),
        ({"field": "plan", "steps": [0], "value": "x"}, "'steps' must be [first, last]"),
        ({"field": "plan", "steps": [0, 0], "value": ""}, "'value' must not be empty"),
        ({"field": "plan", "steps": [0, 0], "value": "two\nlines"}, "one line"),
        ({"field": "plan", "steps": [0, 0], "value": "bad \ud800"}, "lone surrogate"),
        ({"field": "plan", "steps": [0, 0], "value": "x" * (TEXT_LIMIT + 1)}, "at most 4000"),
        ({"field": "colour", "steps": [0, 0], "value": "x"}, "field must be one of task"),
        ({"subtask_start": 2, "subtask": ""}, "'subtask' must not be empty"),
        ({"subtask_start": True, "subtask": "s"}, "'subtask_start' must be a whole number"),
        (
            {"box": {"step": 0, "track": {"x": 1}}, "action": "delete"},
            "'box track' must be a whole number",
        ),  # fmt: skip
        ({"box": {"step": 0, "track": 1, "x": 2}, "action": "delete"}, "'box' has no field 'x'"),
        ({"box": {"step": 0}, "action": "delete"}, "'box' needs 'track'"),
        ({"box": {"step": 0, "track": 1}, "action": "relabel"}, "a relabel needs 'label'"),
        ({"box": {"step": 0, "track": 1}, "action": "delete", "label": "x"}, "only a relabel"),
        ({"box": {"step": 0, "track": 1}, "action": "paint"}, "box action must be one of"),
        ({"box": {"step": 0, "track": 1}, "action": "resize"}, "only a resize, carries 'xyxy'"),
        (
            {"box": {"step": 0, "track": 1}, "action": "delete", "xyxy": [0, 0, 1, 1]},
            "only a resize",
        ),  # fmt: skip
        (
            {"box": {"step": 0, "track": 1}, "action": "resize", "xyxy": [5, 0, 1, 1]},
            "above and left",
        ),  # fmt: skip
        (
            {"box": {"step": 0, "track": 1}, "action": "resize", "xyxy": [0, 0, True, 1]},
            "pixel coordinates",
        ),  # fmt: skip
        (
            {"box": {"step": 0, "track": 1}, "action": "resize", "xyxy": [0, 0, 1]},
            "must be [x0, y0, x1, y1]",
        ),  # fmt: skip
        (
            {"box": {"step": 0, "track": 1}, "action": "resize", "xyxy": [0, 0, 1e9, 1]},
            "pixel coordinates",
        ),  # fmt: skip
        ({"track": {"x": 1}, "action": "delete"}, "'track' must be a whole number"),
        ({"track": 1, "action": "resize"}, "track action must be one of"),
        ({"track": 1, "action": "relabel", "label": ""}, "'label' must not be empty"),
        ({"track": 1, "box": {"step": 0, "track": 1}, "action": "delete"}, "exactly one change"),
        ({"verdict": "accept", "version": True}, "'version' must be a whole number"),
        ({"verdict": "accept", "version": -5}, "'version' must be a whole number"),
        ({"verdict": "accept", "id": "no spaces"}, "'id' must be 1-64 letters"),
    ],
)
def test_what_the_format_does_not_allow_is_refused_with_the_reason(change, message):
    with pytest.raises(LineError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _parse(**change)


def test_a_line_needs_its_episode_and_run():
    with pytest.raises(LineError, match="needs 'config_hash'"):
        Line.parse({"episode": "e", "verdict": "accept"})
    with pytest.raises(LineError, match="must be a JSON object"):
        Line.parse(["verdict", "accept"])
