"""Where a chain's text contradicts the measured motion: the plan/motion disagreements.

A step disagrees when its MOVE text is not the primitive computed from the state, when the
gripper closes while the subtask is not about taking hold of something, or when it opens while
the subtask is not about letting go. A primitive looks ahead, so a gripper primitive also agrees
with the subtask the gripper event starts within its look-ahead (`event_lead`, from the run's
motion window). `stats`, `score` and the episode view count them on finished runs; the LLM
reasoner asks again for a subtask that disagrees before it accepts an answer.

The other way round, a subtask that names a grasp or a release with no close or open of the
gripper in it (`subtasks_without_events`) has its boundaries in the wrong place, or names an act
that did not happen; the review queue ranks by both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby

from ecot_annotate.text.chain import clean_text

GRASP_WORDS = ("grasp", "grab", "pick", "hold", "close", "take", "lift", "squeeze")
RELEASE_WORDS = ("release", "place", "put", "drop", "open", "let go", "set", "leave")
SUBTASK_GRIPPER_CHECK = "subtask_disagrees_with_gripper"  # an LLM answer's subtask, per item
DISAGREEMENT_KINDS = (
    "move differs from primitive",
    "close gripper outside a grasp subtask",
    "open gripper outside a release subtask",
)


def step_disagreements(primitive: str, move: str, subtask: str, upcoming: str = "") -> list[str]:
    """The ways one step's text contradicts its measured motion (empty when they agree).

    `upcoming`: the subtask where this step's look-ahead ends, which a gripper primitive may name.
    """
    found = []
    if clean_text(move).lower() != clean_text(primitive).lower():
        found.append(DISAGREEMENT_KINDS[0])
    words = f"{subtask} {upcoming}".lower()
    if "close gripper" in primitive and not any(w in words for w in GRASP_WORDS):
        found.append(DISAGREEMENT_KINDS[1])
    if "open gripper" in primitive and not any(w in words for w in RELEASE_WORDS):
        found.append(DISAGREEMENT_KINDS[2])
    return found


def episode_disagreements(
    primitives: list[str], moves: list[str], subtasks: list[str], lead: int = 0
) -> list[list[str]]:
    """`step_disagreements` of every step of one episode, in step order.

    A step's primitive looks `lead` + 2 states ahead; every subtask within that span may account
    for a gripper change it names.
    """
    return [
        step_disagreements(p, m, s, " ".join(dict.fromkeys(subtasks[t + 1 : t + lead + 2])))
        for t, (p, m, s) in enumerate(zip(primitives, moves, subtasks, strict=True))
    ]


# Words that name the gripper's act itself: a subtask saying one of them should hold that event.
# (The words above are wider on purpose: any of them excuses a gripper change inside a subtask.)
GRASP_ACTS = re.compile(
    r"\b(?:grasp\w*|grab\w*|grip|grips|gripping|pick(?:s|ed|ing)? up|(?:take|takes|taking) hold)\b"
)
RELEASE_ACTS = re.compile(r"\b(?:releas\w*|(?:let|lets|letting) go|drop\w*)\b")


@dataclass(frozen=True)
class MissingEvent:
    """A subtask that names a grasp or a release while the gripper does not close or open in it."""

    first: int
    last: int
    subtask: str
    event: str  # close | open
    distance: int | None  # steps from the subtask to where the nearest such event can start


def subtasks_without_events(
    moves: list[str], subtasks: list[str], lead: int = 0
) -> list[MissingEvent]:
    """Each run of steps with one subtask that names a grasp (or a release) while no close (or
    open) of the gripper falls in it. A move naming a gripper change sees it coming: the change
    starts within the `lead` + 1 steps after it (`geometry.motion.event_lead`)."""
    named = {
        event: [t for t, move in enumerate(moves) if f"{event} gripper" in move]
        for event in ("close", "open")
    }
    found = []
    t = 0
    for text, run in groupby(subtasks):
        first = t
        t += len(list(run))
        last = t - 1
        words = text.lower()
        for event, acts in (("close", GRASP_ACTS), ("open", RELEASE_ACTS)):
            if not acts.search(words):
                continue
            gaps = [max(0, first - step - lead - 1, step - last) for step in named[event]]
            nearest = min(gaps, default=None)
            if nearest != 0:
                found.append(MissingEvent(first, last, text, event, nearest))
    return found
