"""The offline, deterministic reasoner: plain sentences from the instruction and the motion.

It needs no model and no network, so the pipeline always produces a complete chain; the LLM
reasoner falls back to it, per episode, when an answer cannot be validated.
"""

from __future__ import annotations

from ecot_annotate.episode import Annotation, Episode, StepReasoning, per_arm_parts, several_arms
from ecot_annotate.geometry.motion import event_window
from ecot_annotate.reasoners.phases import (
    Phase,
    describe_phase,
    is_still,
    split_arm_phases,
    split_at_pauses,
)
from ecot_annotate.text.instruction import parse_instruction

_WHY_SUBTASK = {
    "reach": "The {obj} has to be in the gripper before it can be moved, so the gripper first goes to it.",
    "grasp": "The gripper is at the {obj}, so it closes to hold it.",
    "carry": "The {obj} is held, so it can now be taken where the task wants it{target_clause}.",
    "release": "The {obj} is where it should be, so the gripper lets go of it.",
    "retreat": "The {obj} is in place, so the gripper moves clear of it and the task is done.",
    "act": "This is the motion the task asks for: {task}.",
    "pause": "One motion is done, so the arm holds still before the next.",
}
_GOAL = {
    "reach": "closer to the {obj}",
    "grasp": "into place around the {obj}",
    "carry": "with the {obj} {toward}",
    "release": "over the spot where the {obj} goes",
    "retreat": "away from the {obj}",
    "act": "where the task needs it",
    "pause": "where it is",
}


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else text


def _move_reason(primitive: str, kind: str, words: dict[str, str]) -> str:
    if is_still(primitive):
        return f"The gripper holds still for a moment before going on to {words['subtask']}."
    if "close gripper" in primitive:
        return f"Closing the gripper takes hold of the {words['obj']}."
    if "open gripper" in primitive:
        return f"Opening the gripper lets go of the {words['obj']}."
    goal = _GOAL[kind].format(**words)
    if several_arms(per_arm_parts(primitive)):
        return f"To {words['subtask']}, the arms move ({primitive}) to get {goal}."
    return f"To {words['subtask']}, the gripper must {primitive} to get {goal}."


def rule_phases(annotation: Annotation, has_object: bool) -> list[Phase]:
    """The subtasks the rule writer splits the moves into: at gripper events (every arm's with
    two arms), and at pauses for an arm with no kinematic model."""
    phases = split_arm_phases(annotation.arm_primitives, has_object, annotation.event_lead)
    if annotation.split_at_pauses:
        window = event_window(annotation.event_lead)
        phases = split_at_pauses(phases, annotation.moves, window)
    return phases


class RuleReasoner:
    """Segments at gripper events (approach, grasp, carry, release, retreat) and explains each move."""

    name = "rules"

    def reason(self, episode: Episode, annotation: Annotation) -> Annotation:
        parsed = parse_instruction(episode.instruction)
        prims = annotation.moves  # with two arms, each names every arm's move
        phases = rule_phases(annotation, bool(parsed.obj))
        subtasks = [describe_phase(p.kind, parsed) for p in phases]
        obj = parsed.obj or "object"
        words = {
            "obj": obj,
            "task": parsed.text or "what the demonstration shows",
            "toward": f"toward the {parsed.target}" if parsed.target else "along",
            "target_clause": f": the {parsed.target}" if parsed.target else "",
        }
        task = _sentence(episode.instruction) or "Follow the instruction."
        steps: list[StepReasoning] = []
        for index, phase in enumerate(phases):
            plan = ", ".join(subtasks[index:])
            subtask_reason = _WHY_SUBTASK[phase.kind].format(**words)
            for t in phase.steps():
                move_reason = _move_reason(
                    prims[t], phase.kind, {**words, "subtask": subtasks[index]}
                )
                steps.append(
                    StepReasoning(
                        task,
                        _sentence(plan),
                        _sentence(subtasks[index]),
                        subtask_reason,
                        prims[t],
                        move_reason,
                    )
                )
        annotation.reasoning = steps
        annotation.provenance.update({"reasoning_source": "rules", "reasoning_model": "rules"})
        return annotation
