"""Split an episode into subtasks at the gripper's close/open events.

Both reasoners use this: the rule reasoner writes its text from it, and the LLM reasoner checks
its answer's subtasks against the motion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ecot_annotate.episode import per_arm_parts, several_arms
from ecot_annotate.geometry.motion import STOP, gripper_events
from ecot_annotate.text.instruction import ParsedInstruction


@dataclass
class Phase:
    kind: str  # reach | grasp | carry | release | retreat | act
    start: int
    end: int  # exclusive

    def steps(self) -> range:
        return range(self.start, self.end)


def _run_end(prims: list[str], start: int, word: str) -> int:
    end = start
    while end < len(prims) and word in prims[end]:
        end += 1
    return end


def split_phases(prims: list[str], has_object: bool = True, lead: int = 0) -> list[Phase]:
    """Approach / grasp / carry / release / retreat, dropping the ones with no steps.

    With no grasp in the episode the whole episode is one phase: reaching the object when the
    instruction names one, else acting as the instruction says. `lead` moves the grasp and
    release starts from the first primitive that names the gripper change to where the gripper
    starts to move (`geometry.motion.event_lead`).
    """
    n = len(prims)
    events = gripper_events(prims, lead)
    close = next((t for t, kind in events if kind == "close"), None)
    if close is None:
        return [Phase("reach" if has_object else "act", 0, n)] if n else []
    close_end = _run_end(prims, close, "close gripper")
    open_ = next((t for t, kind in events if kind == "open" and t >= close_end), None)
    bounds = [("reach", 0, close), ("grasp", close, close_end)]
    if open_ is None:
        bounds.append(("carry", close_end, n))
    else:
        open_end = _run_end(prims, open_, "open gripper")
        bounds += [
            ("carry", close_end, open_),
            ("release", open_, open_end),
            ("retreat", open_end, n),
        ]
    return [Phase(kind, start, end) for kind, start, end in bounds if end > start]


_BEFORE = {None: "reach", "close": "carry", "open": "retreat"}  # what goes on between events
_DURING = {"close": "grasp", "open": "release"}


def split_at_every_event(
    arms: Sequence[list[str]], has_object: bool = True, lead: int = 0
) -> list[Phase]:
    """Phases split at every close and open of every arm, as two arms need (either arm's event
    starts a new subtask): reach before the first grasp, carry after a close, retreat after an
    open. `arms`: each arm's primitives.

    Every start and end of an event is a change: one arm opening while the other still closes is
    a release that starts inside the grasp, and the grasp's end (the other arm carries) is a
    change of its own."""
    n = len(arms[0]) if arms else 0
    changes = sorted(
        change
        for arm in arms
        for start, kind in gripper_events(arm, lead)
        for change in (
            (start, _DURING[kind]),
            (_run_end(arm, start, f"{kind} gripper"), _BEFORE[kind]),
        )
    )
    if not changes:
        return [Phase("reach" if has_object else "act", 0, n)] if n else []
    bounds = [(0, "reach"), *changes, (n, "")]
    phases = [Phase(kind, start, end) for (start, kind), (end, _) in pairwise(bounds)]
    return [p for p in phases if p.end > p.start]


def split_arm_phases(
    arm_primitives: dict[str, list[str]], has_object: bool = True, lead: int = 0
) -> list[Phase]:
    """The phases of every arm's primitives: a single arm's grasp and release (`split_phases`),
    several arms' at each arm's every event (`split_at_every_event`)."""
    arms = list(arm_primitives.values())
    if several_arms(arms):
        return split_at_every_event(arms, has_object, lead)
    return split_phases(arms[0] if arms else [], has_object, lead)


def is_still(move: str) -> bool:
    """Every arm named in the move stops (`stop`, or `left arm: stop; right arm: stop`)."""
    return all(primitive == STOP for primitive in per_arm_parts(move).values())


def split_at_pauses(phases: list[Phase], prims: list[str], min_steps: int) -> list[Phase]:
    """Each phase split where the robot holds still for `min_steps` steps or more: the pause is a
    phase of its own. An arm with no kinematic model has no directions to tell its subtasks by,
    so its pauses are where one motion ends and the next begins."""
    out: list[Phase] = []
    for phase in phases:
        start = t = phase.start
        while t < phase.end:
            end = t
            while end < phase.end and is_still(prims[end]):
                end += 1
            if end - t >= min_steps:
                out += [Phase(phase.kind, start, t), Phase("pause", t, end)]
                start = end
            t = max(end, t + 1)
        out.append(Phase(phase.kind, start, phase.end))
    return [p for p in out if p.end > p.start]


def describe_phase(kind: str, parsed: ParsedInstruction) -> str:
    """The subtask sentence of a phase, in the instruction's own words where it has them."""
    obj = f"the {parsed.obj}" if parsed.obj else "the object"
    target = f" to the {parsed.target}" if parsed.target else ""
    if kind == "reach":
        return f"move to {obj}"
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
    if kind == "pause":
        return "hold still"
    return parsed.text or "follow the instruction"
