"""The subtasks the reasoners describe: the run's segments (stages/subtasks.py), in words.

Both reasoners use this: the rule reasoner writes its text from the segments, and the LLM
reasoner's edit mode is given their kinds.
"""

from __future__ import annotations

from ecot_annotate.config import MotionConfig
from ecot_annotate.episode import Annotation, Episode, Segment, per_arm_parts, several_arms
from ecot_annotate.geometry.arm_signals import episode_arm_signals
from ecot_annotate.geometry.motion import STOP
from ecot_annotate.geometry.subtask_changes import reads_reversed, reversed_events, segments
from ecot_annotate.text.instruction import ParsedInstruction
from ecot_annotate.text.plan_motion import DISAGREEMENT_KINDS, episode_disagreements

# what a phase's text adds for a gripper change it does not account for, by disagreement
_GRIPPER_CLAUSE = {DISAGREEMENT_KINDS[1]: "close", DISAGREEMENT_KINDS[2]: "open"}
# Verbs whose carry is plainly carrying (or lifting, with nowhere named); with others the carry
# says what it is for ("move the cloth to fold it", "move the block to the tower to stack it").
_CARRYING = frozenset({"put", "place", "move", "pick", "take", "bring", "transfer", "carry", ""})
_HOLDING = frozenset({"grasp", "carry", "release", "retry"})  # kinds where something is held


def episode_segments(episode: Episode, annotation: Annotation, has_object: bool) -> list[Segment]:
    """The annotation's segments; an annotation made without the subtasks stage (the library's
    own use, with ECoT's fixed motion window) gets them from the episode here. With no grasp and
    no object named, the episode is one act."""
    found = annotation.segments
    if found is None:
        arms = episode_arm_signals(episode, MotionConfig())
        arms = [reversed_events(a) if reads_reversed(a) else a for a in arms]
        found = segments(arms, episode.n_steps)
    if not has_object and all(s.kind == "reach" for s in found):
        return [Segment("act", s.start, s.end, s.signals, s.arm) for s in found]
    return found


def is_still(move: str) -> bool:
    """Every arm named in the move stops (`stop`, or `left arm: stop; right arm: stop`)."""
    return all(primitive == STOP for primitive in per_arm_parts(move).values())


def named_thing(parsed: ParsedInstruction, phases: list[Segment]) -> str:
    """What the subtasks call the thing the arm goes to: the instruction's object; without one,
    "object" where the gripper takes hold of something and "target" where it only acts there
    (a task text such as "demo" names neither)."""
    if parsed.obj:
        return parsed.obj
    return "object" if any(p.kind in _HOLDING for p in phases) else "target"


def describe_phase(kind: str, parsed: ParsedInstruction, thing: str) -> str:
    """The subtask sentence of a phase, in the instruction's own words where it has them;
    `thing` is `named_thing`'s noun."""
    obj = f"the {thing}"
    target = f" to the {parsed.target}" if parsed.target else ""
    if kind == "reach":
        return f"move to {obj}"
    if kind == "retry":
        return f"open the gripper and move to {obj} again"
    if kind == "grasp":
        return f"grasp {obj}"
    if kind == "carry":
        verb, _, particle = parsed.verb.partition(" ")
        if verb in _CARRYING:
            return f"carry {obj}{target}" if target else f"lift {obj}"
        # "fold the cloth" is the whole task: the carry is the move that does it
        return f"move {obj}{target} to {verb} it {particle}".strip()
    if kind == "release":
        return f"release {obj}" + (f" over the {parsed.target}" if parsed.target else "")
    if kind == "retreat":
        return "move the gripper away"
    if parsed.obj:
        return f"{parsed.verb} {obj}{target}"
    return parsed.text or f"interact with {obj}"


def _gripper_words(verbs: list[str]) -> str:
    """One arm's gripper changes in a phase, in order: "open", "open then close", "open and
    close" (back and forth)."""
    if len(verbs) == 1:
        return verbs[0]
    return " then ".join(verbs) if len(verbs) == 2 else "open and close"


def with_gripper_changes(
    phases: list[Segment], subtasks: list[str], moves: list[str], lead: int
) -> list[str]:
    """Each phase's subtask, saying what its gripper does that the subtask does not: real
    grippers open on the way to the object and close again as the arm moves off after a
    release, and a hand drifts. A phase whose steps name such a change gets "and open the
    gripper", or "and open then close the gripper" where it does both, once per arm (naming the
    arm where there are several), so the text never contradicts the motion it describes; the
    phases themselves stay where the signals put them. Phases are worded last to first: a
    step's look-ahead already sees what the phases after it say."""
    texts = list(subtasks)
    for index in reversed(range(len(phases))):
        per_step = [texts[i] for i, phase in enumerate(phases) for _ in phase.steps()]
        found = episode_disagreements(moves, moves, per_step, lead)
        changes: dict[str, list[str]] = {}  # whose gripper -> its changes, in order
        for t in phases[index].steps():
            parts = per_arm_parts(moves[t])
            for kind in found[t]:
                verb = _GRIPPER_CLAUSE.get(kind)
                arms = [arm for arm, part in parts.items() if f"{verb} gripper" in part]
                if verb and arms:
                    whose = f"the {arms[0]} arm's" if several_arms(parts) else "the"
                    verbs = changes.setdefault(whose, [])
                    if verbs[-1:] != [verb]:
                        verbs.append(verb)
        clauses = [f"{_gripper_words(verbs)} {whose} gripper" for whose, verbs in changes.items()]
        texts[index] = " and ".join([texts[index], *clauses])
    return texts
