"""Reasoning written out in the LLM answer shape (schemas/llm_answer.json).

Used to size what a model would write for an episode (the dry-run estimate, the token benchmark):
the task once, then one item per move (run of identical primitives) with its subtask, the
subtask's reason and the move's reason.
"""

from __future__ import annotations

import json

from ecot_annotate.episode import StepReasoning
from ecot_annotate.reasoners.llm_input import move_runs


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
