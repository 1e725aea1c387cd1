"""Reasoning written out in the LLM answer shape (schemas/llm_answer.json).

Used to size what a model would write for an episode (the dry-run estimate, the token benchmark)
and as the draft a model rewrites in the LLM's edit mode:
the task once, then one item per move (run of identical primitives) with its subtask, the
subtask's reason and the move's reason.
"""

from __future__ import annotations

import json

from ecot_annotate.episode import Annotation, Episode, StepReasoning
from ecot_annotate.reasoners.llm_input import move_runs
from ecot_annotate.reasoners.rules import RuleReasoner


def answer_text(steps: list[StepReasoning]) -> str:
    """The JSON answer that carries exactly this reasoning (each move's text from its first step)."""
    items = [
        {
            "subtask": steps[first].subtask,
            "subtask_reason": steps[first].subtask_reason,
            "move_reason": steps[first].move_reason,
        }
        for first, _, _ in move_runs([s.move for s in steps])
    ]
    return json.dumps({"task": steps[0].task if steps else "", "items": items})


def rule_draft(episode: Episode, annotation: Annotation) -> str:
    """The rule writer's answer for this episode's moves: what the edit mode asks a model to rewrite."""
    moves = Annotation(primitives=annotation.primitives, event_lead=annotation.event_lead)
    return answer_text(RuleReasoner().reason(episode, moves).reasoning)
