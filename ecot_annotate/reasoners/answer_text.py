"""Reasoning written out in the LLM answer shape (schemas/llm_answer.json).

Used to size what a model would write for an episode (the dry-run estimate, the token benchmark):
the task once, subtasks with step ranges and reasons, one reason per run of identical moves.
"""

from __future__ import annotations

import json

from ecot_annotate.episode import StepReasoning


def answer_text(steps: list[StepReasoning]) -> str:
    """The JSON answer that carries exactly this reasoning."""
    subtasks: list[dict] = []
    for t, s in enumerate(steps):
        if not subtasks or subtasks[-1]["name"] != s.subtask:
            subtasks.append(
                {"name": s.subtask, "steps": [t, t], "reason": s.subtask_reason, "moves": []}
            )
        sub = subtasks[-1]
        sub["steps"][1] = t
        if sub["moves"] and sub["moves"][-1]["move"] == s.move:
            sub["moves"][-1]["steps"][1] = t
        else:
            sub["moves"].append({"steps": [t, t], "move": s.move, "reason": s.move_reason})
    return json.dumps({"task": steps[0].task if steps else "", "subtasks": subtasks})
