"""Read, check and expand the LLM's answer: the task, then one item of language per move.

`parse_answer` finds the JSON object in whatever the server returned (a bare object from
structured output or JSON mode, or one wrapped in prose or code fences). `check_answer` splits
what is wrong into problems of the whole answer (no JSON, no "items" list, the wrong number of
items: only asking again can fix those) and problems of single texts (missing, empty, too long,
'@'), which a partial repair can ask for alone and the rules can fill. `assemble` turns a checked
answer into the six ECoT fields of every step; step numbers and moves are the pipeline's.
Problems are plain sentences: they go back to the model and into `fallback_reason`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ecot_annotate.episode import StepReasoning
from ecot_annotate.reasoners.llm_input import Run
from ecot_annotate.reasoners.llm_schema import ITEM_FIELDS, MAX_CHARS
from ecot_annotate.text.chain import clean_text

MAX_PROBLEMS = 8  # enough for the model to fix its answer, short enough for provenance
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


class AnswerError(ValueError):
    """The answer text holds no usable JSON object."""


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


def field_key(index: int, name: str) -> str:
    """How a text of an item is named in problems, partial repairs and provenance."""
    return f"items.{index}.{name}"


def text_problem(value: Any, max_chars: int = MAX_CHARS) -> str | None:
    """What is wrong with one text, in the terms of the schema's text pattern; None when fine."""
    if value is None:
        return "is missing"
    if not isinstance(value, str):
        return "must be a text"
    if not value.strip():
        return "must not be empty"
    if "@" in value:
        return "must not contain the character '@'"
    if value[0].isspace():
        return "must not start with a space"
    if len(value) > max_chars:
        return f"must be at most {max_chars} characters (it has {len(value)})"
    return None


@dataclass
class Checked:
    """An answer as far as it can be used: `texts` holds every text by key, good or not."""

    texts: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # the whole answer is unusable
    bad: dict[str, str] = field(default_factory=dict)  # key -> problem, for single texts

    @property
    def usable(self) -> bool:
        return not self.problems


def check_answer(text: str, n_moves: int, max_chars: int = MAX_CHARS) -> Checked:
    """Every problem of an answer text for an episode with `n_moves` moves."""
    try:
        data = parse_answer(text)
    except AnswerError as exc:
        return Checked(problems=[str(exc)])
    items = data.get("items")
    if not isinstance(items, list):
        return Checked(problems=['the answer has no "items" list'])
    if len(items) != n_moves:
        return Checked(
            problems=[
                f'"items" has {len(items)} items but the episode has {n_moves} moves: give exactly one item per move'
            ]
        )
    texts: dict[str, Any] = {"task": data.get("task")}
    for index, item in enumerate(items):
        for name in ITEM_FIELDS:
            texts[field_key(index, name)] = item.get(name) if isinstance(item, dict) else None
    return Checked(texts=texts, bad=bad_texts(texts, max_chars))


def bad_texts(texts: dict[str, Any], max_chars: int = MAX_CHARS) -> dict[str, str]:
    found = {key: text_problem(value, max_chars) for key, value in texts.items()}
    return {key: problem for key, problem in found.items() if problem is not None}


def describe_bad(bad: dict[str, str]) -> list[str]:
    return [f"{key} {problem}" for key, problem in bad.items()][:MAX_PROBLEMS]


def assemble(texts: dict[str, str], runs: list[Run]) -> list[StepReasoning]:
    """The six ECoT fields per step. Consecutive items with the same subtask are one subtask;
    the plan is the remaining subtasks, from the current one on."""
    task = clean_text(texts["task"])
    subtasks = [clean_text(texts[field_key(i, "subtask")]) for i in range(len(runs))]
    starts = [i for i in range(len(runs)) if i == 0 or subtasks[i] != subtasks[i - 1]]
    steps: list[StepReasoning] = []
    for index, (first, last, move) in enumerate(runs):
        current = [s for s in starts if s <= index][-1]
        plan = ", ".join(subtasks[s] for s in starts if s >= current)
        reason = clean_text(texts[field_key(index, "subtask_reason")])
        move_reason = clean_text(texts[field_key(index, "move_reason")])
        for _ in range(first, last + 1):
            steps.append(StepReasoning(task, plan, subtasks[index], reason, move, move_reason))
    return steps
