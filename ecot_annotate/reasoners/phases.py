"""The subtasks the reasoners describe: the run's segments (stages/subtasks.py), in words.

Both reasoners use this: the rule reasoner writes its text from the segments, and the LLM
reasoner's edit mode is given their kinds.
"""

from __future__ import annotations

from ecot_annotate.config import MotionConfig
from ecot_annotate.episode import Annotation, Episode, Segment, per_arm_parts
from ecot_annotate.geometry.arm_signals import episode_arm_signals
from ecot_annotate.geometry.motion import STOP
from ecot_annotate.geometry.subtask_changes import segments
from ecot_annotate.text.instruction import ParsedInstruction


def episode_segments(episode: Episode, annotation: Annotation, has_object: bool) -> list[Segment]:
    """The annotation's segments; an annotation made without the subtasks stage (the library's
    own use, with ECoT's fixed motion window) gets them from the episode here. With no grasp and
    no object named, the episode is one act."""
    found = annotation.segments
    if found is None:
        found = segments(episode_arm_signals(episode, MotionConfig()), episode.n_steps)
    if not has_object and all(s.kind == "reach" for s in found):
        return [Segment("act", s.start, s.end, s.signals, s.arm) for s in found]
    return found


def is_still(move: str) -> bool:
    """Every arm named in the move stops (`stop`, or `left arm: stop; right arm: stop`)."""
    return all(primitive == STOP for primitive in per_arm_parts(move).values())


def describe_phase(kind: str, parsed: ParsedInstruction) -> str:
    """The subtask sentence of a phase, in the instruction's own words where it has them."""
    obj = f"the {parsed.obj}" if parsed.obj else "the object"
    target = f" to the {parsed.target}" if parsed.target else ""
    if kind == "reach":
        return f"move to {obj}"
    if kind == "retry":
        return f"open the gripper and move to {obj} again"
    if kind == "grasp":
        return f"grasp {obj}"
    if kind == "carry":
        if (
            parsed.verb
            in {"put", "place", "move", "pick", "take", "bring", "transfer", "carry", ""}
            or not parsed.verb
        ):
            return f"carry {obj}{target}" if target else f"lift {obj}"
        return f"{parsed.verb} {obj}{target}"
    if kind == "release":
        return f"release {obj}" + (f" over the {parsed.target}" if parsed.target else "")
    if kind == "retreat":
        return "move the gripper away"
    return parsed.text or "follow the instruction"
