"""Reasoning written out in the LLM answer shape (schemas/llm_answer.json).

Used to size what a model would write for an episode (the dry-run estimate, the token benchmark)
and as the rule writer's text for each field of an answer (what fills a failing field, and what a
model's text is compared with to tell its own language from a copy): the task once, then one item
per move (run of identical primitives) with its subtask, the subtask's reason and the move's
reason. The LLM's edit mode gives a model the rule writer's notes instead (`rule_notes`).
"""

from __future__ import annotations

import json
import re

from ecot_annotate.episode import Annotation, Episode, StepReasoning
from ecot_annotate.reasoners.llm_answer import field_key
from ecot_annotate.reasoners.llm_input import move_runs
from ecot_annotate.reasoners.llm_schema import ITEM_FIELDS
from ecot_annotate.reasoners.rules import RuleReasoner, rule_phases
from ecot_annotate.text.instruction import parse_instruction


def answer_texts(steps: list[StepReasoning]) -> dict[str, str]:
    """The answer's texts by key (`task`, `items.<i>.<field>`), each move's from its first step."""
    texts = {"task": steps[0].task if steps else ""}
    for index, (first, _, _) in enumerate(move_runs([s.move for s in steps])):
        step = steps[first].as_dict()
        texts.update({field_key(index, name): step[name] for name in ITEM_FIELDS})
    return texts


def answer_text(steps: list[StepReasoning]) -> str:
    """The JSON answer that carries exactly this reasoning."""
    texts = answer_texts(steps)
    n_moves = (len(texts) - 1) // len(ITEM_FIELDS)
    items = [{name: texts[field_key(i, name)] for name in ITEM_FIELDS} for i in range(n_moves)]
    return json.dumps({"task": texts["task"], "items": items})


def rule_steps(episode: Episode, annotation: Annotation) -> list[StepReasoning]:
    """The rule writer's chain for this episode's moves, leaving the stages' annotation as it is."""
    moves = Annotation(
        arm_primitives=annotation.arm_primitives,
        event_lead=annotation.event_lead,
        segments=annotation.segments,
    )
    return RuleReasoner().reason(episode, moves).reasoning


def rule_notes(episode: Episode, annotation: Annotation) -> str:
    """What the edit mode gives a model to write from: per move, its name, the rule writer's stage
    (reach, grasp, carry, release, retreat, retry, act) and the object it acts on (and the target,
    carrying or releasing). Facts, not sentences: a small model copies a sentence it is shown."""
    parsed = parse_instruction(episode.instruction)
    phases = rule_phases(episode, annotation, bool(parsed.obj))
    stage = {t: p.kind for p in phases for t in p.steps()}
    items = []
    for first, _, move in move_runs(annotation.moves):
        item = {"move": move, "stage": stage[first], "object": parsed.obj or None}
        if parsed.target and stage[first] in ("carry", "release"):
            item["target"] = parsed.target
        items.append(item)
    return json.dumps({"items": items})


def same_text(a: str, b: str) -> bool:
    """The same sentence but for case, spacing and a final period: a copy, not a rewording."""

    def normal(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip().rstrip(".").strip().lower()

    return normal(a) == normal(b)
