"""The offline, deterministic reasoner: plain sentences from the instruction and the motion.

It needs no model and no network, so the pipeline always produces a complete chain; the LLM
reasoner falls back to it, per episode, when an answer cannot be validated.
"""

from __future__ import annotations

from ecot_annotate.episode import (
    Annotation,
    Episode,
    Segment,
    StepReasoning,
    per_arm_parts,
    several_arms,
)
from ecot_annotate.reasoners.phases import (
    describe_phase,
    episode_segments,
    is_still,
    named_thing,
    with_gripper_changes,
)
from ecot_annotate.text.instruction import parse_instruction

_WHY_SUBTASK = {
    "reach": "The {obj} has to be in the gripper before it can be moved, so the gripper first goes to it.",
    "approach": "The gripper has to be at the {obj} to act there, so it first goes to it.",
    "grasp": "The gripper is at the {obj}, so it closes to hold it.",
    "carry": "The {obj} is held, so it can now be taken where the task wants it{target_clause}.",
    "release": "The {obj} is where it should be, so the gripper lets go of it.",
    "retreat": "The {obj} is in place, so the gripper moves clear of it and the task is done.",
    "leave": "The gripper is done at the {obj}, so it moves clear of it.",
    "act": "This is the motion the task asks for: {base}.",
    "unnamed act": "The gripper has reached the {obj}, so now it acts there.",
    "retry": "The {obj} did not stay in the gripper, so the gripper opens and tries again.",
}
_GOAL = {
    "reach": "closer to it",
    "approach": "closer to it",
    "grasp": "into place around the {obj}",
    "carry": "with the {obj} {toward}",
    "release": "over the spot where the {obj} goes",
    "retreat": "away from the {obj}",
    "leave": "away from the {obj}",
    "act": "where the task needs it",
    "unnamed act": "where the task needs it",
    "retry": "back to the {obj}",
}


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else text


def _move_reason(primitive: str, kind: str, words: dict[str, str]) -> str:
    if is_still(primitive):
        return f"The gripper holds still for a moment before going on to {words['base']}."
    if "close gripper" in primitive:
        if kind in ("grasp", "retry"):
            return f"Closing the gripper takes hold of the {words['obj']}."
        return f"The gripper closes while the arm goes on to {words['base']}."
    if "open gripper" in primitive:
        if kind in ("release", "retry"):
            return f"Opening the gripper lets go of the {words['obj']}."
        return f"The gripper opens while the arm goes on to {words['base']}."
    goal = _GOAL[kind].format(**words)
    if several_arms(per_arm_parts(primitive)):
        return f"To {words['base']}, the arms move ({primitive}) to get {goal}."
    return f"To {words['base']}, the gripper must {primitive} to get {goal}."


def _reason_kind(kind: str, phases: list[Segment], task: str) -> str:
    """Which reason a phase gets: a reach or retreat around an act where nothing is held (a
    button pressed) is an approach or a leave, as nothing is moved or placed; an act with no
    task named is unnamed."""
    kinds = {p.kind for p in phases}
    acts_only = "act" in kinds and not kinds & {"grasp", "retry"}
    if kind == "reach" and acts_only:
        return "approach"
    if kind == "retreat" and acts_only:
        return "leave"
    if kind == "act" and not task:
        return "unnamed act"
    return kind


def rule_phases(episode: Episode, annotation: Annotation, has_object: bool) -> list[Segment]:
    """The subtasks the rule writer describes: the run's segments."""
    return episode_segments(episode, annotation, has_object)


class RuleReasoner:
    """Describes the run's segments (approach, grasp, carry, release, retreat) and each move."""

    name = "rules"

    def reason(self, episode: Episode, annotation: Annotation) -> Annotation:
        parsed = parse_instruction(episode.instruction)
        prims = annotation.moves  # with two arms, each names every arm's move
        phases = rule_phases(episode, annotation, bool(parsed.obj))
        thing = named_thing(parsed, phases)
        bases = [describe_phase(p.kind, parsed, thing) for p in phases]
        subtasks = with_gripper_changes(phases, bases, prims, annotation.event_lead)
        words = {
            "obj": thing,
            "toward": f"toward the {parsed.target}" if parsed.target else "along",
            "target_clause": f": the {parsed.target}" if parsed.target else "",
        }
        task = _sentence(episode.instruction) or "Follow the instruction."
        steps: list[StepReasoning] = []
        for index, phase in enumerate(phases):
            kind = _reason_kind(phase.kind, phases, parsed.text)
            plan = ", ".join(subtasks[index:])
            # what a move works toward: the subtask without the gripper acts it names, which a
            # move that does not open or close the gripper must not claim
            aim = f"grasp the {thing} again" if phase.kind == "retry" else bases[index]
            subtask_reason = _WHY_SUBTASK[kind].format(**words, base=bases[index])
            for t in phase.steps():
                move_reason = _move_reason(prims[t], kind, {**words, "base": aim})
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
