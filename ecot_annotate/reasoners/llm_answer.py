"""Read, check and expand the LLM's token-lean answer.

`parse_answer` finds the JSON object in whatever the server returned (a bare object from
structured output or JSON mode, or one wrapped in prose or code fences); `validate_answer` lists
every problem (schema, step coverage, moves against the computed primitives, '@'); `assemble`
turns a valid answer into the six ECoT fields of every step. Problems are plain sentences: they
go back to the model in the repair round and into `fallback_reason`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from ecot_annotate.episode import StepReasoning
from ecot_annotate.prompt_texts import load_prompts
from ecot_annotate.text.chain import clean_text

MAX_PROBLEMS = 8  # enough for the model to fix its answer, short enough for provenance
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


class AnswerError(ValueError):
    """The answer text holds no usable JSON object."""


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_prompts().schema)


def parse_answer(text: str) -> dict[str, Any]:
    """The first JSON object in the text: bare, inside a code fence, or inside prose."""
    text = (text or "").strip()
    if not text:
        raise AnswerError("the answer is empty")
    candidates = [text, *(m.strip() for m in _FENCE.findall(text))]
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            return data
    decoder = json.JSONDecoder()
    last_error = None
    for match in re.finditer(r"\{", text):
        try:
            data, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError as exc:
            last_error = last_error or exc
            continue
        if isinstance(data, dict):
            return data
    if last_error is not None:
        raise AnswerError(
            f"the answer is not complete JSON ({last_error.msg} at character {last_error.pos}); it may be truncated"
        )
    raise AnswerError("the answer holds no JSON object")


def _range(value: list[int]) -> tuple[int, int]:
    return int(value[0]), int(value[1])


def _cover(ranges: list[tuple[int, int]], first: int, last: int, what: str) -> list[str]:
    """Problems with `ranges` covering first..last exactly once, in order."""
    problems = []
    expected = first
    for index, (start, end) in enumerate(ranges):
        if end < start:
            problems.append(
                f"{what} {index} has steps [{start}, {end}]: the last step comes before the first"
            )
        elif start > expected:
            problems.append(
                f"{what} {index} starts at step {start}: steps {expected} to {start - 1} are not covered"
            )
        elif start < expected:
            problems.append(
                f"{what} {index} starts at step {start}: steps {start} to {min(end, expected - 1)} are covered twice"
            )
        expected = max(expected, end + 1)
    if expected <= last:
        problems.append(f"steps {expected} to {last} are not covered by any {what}")
    elif expected > last + 1:
        problems.append(f"{what}s go past the last step {last}")
    return problems


def _message(error: ValidationError) -> str:
    """The schema's complaint in words the model can act on (its text pattern forbids '@')."""
    if error.validator == "pattern":
        return "must be one non-empty text without the character '@'"
    return error.message


def validate_answer(data: dict[str, Any], prims: list[str]) -> list[str]:
    """Every problem of a parsed answer for an episode with these primitives; [] when valid."""
    schema_errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if schema_errors:
        return [
            f"{'/'.join(map(str, e.absolute_path)) or 'answer'}: {_message(e)}"
            for e in schema_errors
        ][:MAX_PROBLEMS]
    last = len(prims) - 1
    subtasks = data["subtasks"]
    problems = _cover([_range(s["steps"]) for s in subtasks], 0, last, "subtask")
    for i, sub in enumerate(subtasks):
        first, end = _range(sub["steps"])
        problems += [
            f"in subtask {i}: {p}"
            for p in _cover([_range(m["steps"]) for m in sub["moves"]], first, end, "move")
        ]
        for move in sub["moves"]:
            start, stop = _range(move["steps"])
            wrong = [
                t for t in range(start, min(stop, last) + 1) if prims[t] != move["move"].strip()
            ]
            if wrong:
                t = wrong[0]
                problems.append(
                    f"subtask {i} names the move '{move['move']}' for steps [{start}, {stop}] but the primitive at step {t} is '{prims[t]}'"
                )
    return problems[:MAX_PROBLEMS]


def assemble(data: dict[str, Any], prims: list[str]) -> list[StepReasoning]:
    """The six ECoT fields per step; plan = the remaining subtasks, from the current one on."""
    task = clean_text(data["task"])
    names = [clean_text(s["name"]) for s in data["subtasks"]]
    steps: list[StepReasoning] = []
    for index, sub in enumerate(data["subtasks"]):
        plan = ", ".join(names[index:])
        for move in sub["moves"]:
            start, stop = _range(move["steps"])
            for t in range(start, stop + 1):
                steps.append(
                    StepReasoning(
                        task,
                        plan,
                        names[index],
                        clean_text(sub["reason"]),
                        prims[t],
                        clean_text(move["reason"]),
                    )
                )
    return steps


def read_answer(text: str, prims: list[str]) -> tuple[list[StepReasoning] | None, list[str]]:
    """(steps, []) for a usable answer, else (None, problems)."""
    try:
        data = parse_answer(text)
    except AnswerError as exc:
        return None, [str(exc)]
    problems = validate_answer(data, prims)
    if problems:
        return None, problems
    return assemble(data, prims), []
