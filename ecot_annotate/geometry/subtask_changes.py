"""Where subtasks change, read from every signal an arm has: its gripper(s), its speed, contact.

Per arm: a grasp starts where the gripper starts to close after an approach (a close before the
arm has moved at all is the hand shaping itself at rest, not a grasp), the carry where the arm
moves off after it, the release where the gripper starts to open, and the retreat where the arm
moves off after that. A binary gripper command that flips at the end of a stop, as the arm moves
off, came late: its grasp (or release) is back-dated to the start of that stop. A close that is
opened again before anything was carried is a failed grasp, and the reopening starts a retry.
A close at full speed on the way is a hand relaxing, and so is a close that carries nothing where
the arm acted at a stop instead, and an opening at full speed (a release sets something down);
a gripper is read the way round that makes whole picks (hands count their fingers either way:
`reads_reversed`).
An arm with no grasp (no gripper, or one that never takes hold) that approaches, stops and moves
away acts at its stop (pressing, pushing, turning): the act starts where it is held still there
and the retreat where it leaves the stop. Each change names the signals that placed it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ecot_annotate.episode import Segment
from ecot_annotate.geometry.arm_speed import ArmSpeed
from ecot_annotate.geometry.gripper_events import GripperEvent

SAME_EVENT_S = 1.0  # events of one kind on two signals this close are one event
COMMAND_LAG_S = 2.0  # ... and a command this long after the gripper (commands lag 1-1.5 s)
LATE_AFTER_STOP_S = 1.0  # a command flipping this soon after a stop ends belongs to the stop
LATE_IN_STOP_S = 0.6  # ... and one this far into a stop, as the arm moves off, came late
FIRST_APPROACH_SHARE = 0.05  # a grasp needs this share of the episode's path moved before it
CARRIED_SHARE = 0.35  # a grasp carried less than this share of its approach failed


@dataclass(frozen=True)
class ArmSignals:
    """What one arm recorded: its speed, the gripper events of each of its gripper signals, and
    the steps a detector saw its gripper touch the object (empty without a detector)."""

    name: str
    speed: ArmSpeed
    events: tuple[GripperEvent, ...] = ()
    contact: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Change:
    step: int
    kind: str
    signals: tuple[str, ...]
    unsure: int = 0  # steps its signals leave its start open over (the stop it is placed in)


def merged_events(events: tuple[GripperEvent, ...], hz: float) -> list[list[GripperEvent]]:
    """Events of one kind on several signals within SAME_EVENT_S of each other, or a command up
    to COMMAND_LAG_S after what the gripper did, grouped; each group's first event is the one a
    boundary is placed by: what the gripper did (the state) before what it was told (a command),
    a continuous signal before a binary one."""
    groups: list[list[GripperEvent]] = []
    for event in sorted(events, key=lambda e: e.onset):
        near = [
            g
            for g in groups
            if g[0].kind == event.kind
            and (
                abs(g[0].onset - event.onset) <= SAME_EVENT_S * hz
                or (event.command and 0 <= event.onset - g[0].onset <= COMMAND_LAG_S * hz)
            )
        ]
        if near and all(e.source != event.source for e in near[-1]):
            near[-1].append(event)
        else:
            groups.append([event])
    return [sorted(g, key=lambda e: (e.binary, e.command, e.onset)) for g in groups]


def _place(
    group: list[GripperEvent], speed: ArmSpeed, stops: list[tuple[int, int]], after: int
) -> tuple[int, tuple[str, ...], int]:
    """(step, signals, unsure steps) of a gripper event: its onset, or for a command that came
    late the start of the stop it belongs to, anywhere up to the command. A stop that already
    holds the arm's last change (`after`: a grasp that failed in it) keeps it: the reopening
    lies somewhere between that change and the command, and is placed at the command."""
    event = group[0]
    verb = "closes" if event.kind == "close" else "opens"
    signals = tuple(f"{e.source} {verb} at {e.onset}" for e in group)
    if not event.binary:
        return event.onset, signals, 0
    hz = speed.hz
    for a, b in reversed(stops):
        if a <= event.onset <= b + LATE_AFTER_STOP_S * hz:
            moves_off = speed.motion_onset(event.onset)
            late = event.onset - a >= LATE_IN_STOP_S * hz and (
                event.onset >= b or (moves_off is not None and moves_off - event.onset <= hz / 2)
            )
            if late and a > after:
                return a, (*signals, f"arm stopped at {a}: the command came late"), event.onset - a
            if late:
                return event.onset, signals, event.onset - after
            break
    return event.onset, signals, 0


def _speed_at(speed: ArmSpeed, step: int) -> float:
    """The arm's median speed within 0.2 s of `step`."""
    half = max(1, round(0.2 * speed.hz))
    return float(np.median(speed.speed[max(0, step - half) : step + half + 1]))


def _touching(step: int, contact: tuple[tuple[int, int], ...], hz: float) -> tuple[str, ...]:
    near = [a for a, b in contact if a - hz <= step <= b]
    return (f"detector: gripper touches the object from {near[0]}",) if near else ()


def arm_changes(arm: ArmSignals) -> list[Change]:
    """The changes of subtask one arm's signals show, in step order, its gripper read the way
    its events say (see `reads_reversed` for which way that is)."""
    return _changes(arm)


OTHER = {"close": "open", "open": "close"}


def reversed_events(arm: ArmSignals) -> ArmSignals:
    """The arm with its gripper read the other way round: every close an open and back."""
    return replace(arm, events=tuple(replace(e, kind=OTHER[e.kind]) for e in arm.events))


def reads_reversed(arm: ArmSignals) -> bool:
    """Whether the arm's gripper makes more whole picks (a grasp, a carry, a release) read the
    other way round: hand makers count their fingers either way (an Inspire hand's 1 is open), so
    where it does, the profile's way was wrong for this hand. Decided once per episode, before
    the motion primitives name the gripper, so that they and the subtasks read it alike."""
    return _picks(_changes(reversed_events(arm))) > _picks(_changes(arm))


def _picks(changes: list[Change]) -> int:
    """Whole picks: a grasp, then a carry, then a release."""
    kinds = "".join({"grasp": "g", "carry": "c", "release": "r"}.get(c.kind, "-") for c in changes)
    return kinds.count("gcr")


def _approach(path: np.ndarray, stops: list[tuple[int, int]], since: int, grasp_at: int) -> float:
    """How far the arm came to the grasp since `since`; an episode that starts in motion and
    then stops went to its start pose first, which is no part of the approach."""
    start = since
    if since == 0 and stops and stops[0][0] > 0 and stops[0][1] <= grasp_at:
        start = stops[0][1]
    return float(path[grasp_at] - path[start])


def _changes(arm: ArmSignals) -> list[Change]:
    speed = arm.speed
    if not speed.active:
        return []
    path, stops, hz = speed.path(), speed.stops(), speed.hz
    changes: list[Change] = []
    free_since, grasped, holding, left = 0, False, None, None
    for group in merged_events(arm.events, hz):
        event = group[0]
        if event.kind == "close" and holding is None:
            at, signals, unsure = _place(group, speed, stops, free_since if grasped else -1)
            need = FIRST_APPROACH_SHARE * path[-1] if not grasped else 0.0
            if path[at] - path[free_since] <= need:
                continue  # the hand shapes itself before the arm moves: no grasp
            if _speed_at(speed, at) >= speed.brisk:
                continue  # closing on the way, at full speed: the hand relaxes, no grasp
            if left is not None and not any(left <= a <= at for a, _ in stops):
                continue  # closing as the arm moves off after a release: it comes to rest
            moving_off = any(free_since < a and b <= at for a, b in stops)
            if moving_off and _speed_at(speed, at) >= speed.moving:
                continue  # closing as it moves off from where it stopped: no grasp there
            touching = _touching(at, arm.contact, hz)
            changes.append(Change(at, "grasp", (*signals, *touching), 0 if touching else unsure))
            # the lift is looked for after the close; a late command's end says nothing of it
            holding, grasped = (at, at + 1 if unsure else event.end), True
        elif event.kind == "open" and holding is not None:
            grasp_at, closed = holding
            at, signals, unsure = _place(group, speed, stops, grasp_at)
            if _speed_at(speed, at) >= speed.brisk:
                continue  # opening on the way, at full speed: the hand relaxes, no release
            lift = speed.motion_onset(max(closed, grasp_at + 1), at)
            carried = path[at] - path[lift] if lift is not None else 0.0
            if carried < CARRIED_SHARE * _approach(path, stops, free_since, grasp_at):
                changes.append(Change(at, "retry", (*signals, "nothing was carried"), unsure))
            else:
                if lift is not None:
                    changes.append(Change(lift, "carry", (f"arm moves off at {lift}",)))
                changes.append(Change(at, "release", signals, unsure))
                retreat = speed.motion_onset(at + 1 if unsure else max(event.end, at + 1))
                if retreat is not None:
                    changes.append(Change(retreat, "retreat", (f"arm moves off at {retreat}",)))
                left = retreat
            holding, free_since = None, at
    if holding is not None:
        grasp_at, closed = holding
        lift = speed.motion_onset(max(closed, grasp_at + 1))
        if lift is not None:
            changes.append(Change(lift, "carry", (f"arm moves off at {lift}",)))
    if any(c.kind == "carry" for c in changes):
        return changes
    # Nothing was carried: where the arm acted at a stop instead, a close at the end was a hand
    # coming to rest; else the grasp stands (a clip may end before the lift).
    return _act_at_stop(arm, stops) or changes


def _act_at_stop(arm: ArmSignals, stops: list[tuple[int, int]]) -> list[Change]:
    """An arm that never takes hold: it acts at the longest stop between its approach and a
    motion away (the one the gripper touches the object in, where a detector saw that), from
    where it is held still in it (pressed against something) if it is; it retreats where it
    leaves that stop (a set-off follows: the stops chosen from are those). Where in the stop the
    act starts is a guess unless a detector saw the touch: the whole stop is left open."""
    speed = arm.speed
    first = speed.motion_onset(0)
    if first is None:
        return []
    inner = [(a, b) for a, b in stops if a > first and speed.motion_onset(b) is not None]
    touched = [s for s in inner if _touching(s[0], arm.contact, speed.hz)]
    if not (touched or inner):
        return []
    a, b = max(touched or inner, key=lambda s: s[1] - s[0])
    held = speed.held(a, b)
    why = f"arm stops at {a}" + (f", held still from {held}" if held > a else "")
    touching = _touching(held, arm.contact, speed.hz)
    return [
        Change(held, "act", (why, *touching), 0 if touching else b - a),
        Change(b, "retreat", (f"arm leaves its stop at {b} and moves off",)),
    ]


def segments(arms: list[ArmSignals], n_steps: int) -> list[Segment]:
    """The episode's subtasks: a reach from step 0 (idle time included), then a new subtask at
    every change of every arm that does the task: where an arm takes hold of something, the arms
    that never do only hold or adjust themselves, and their stops are not the task's. With two
    arms the arm that changed is named; two arms that change alike within SAME_EVENT_S (both
    grasp a cloth, both let go) make one change, as a person sees one subtask, placed where the
    first of them starts and naming both."""
    named = len(arms) > 1
    hz = max((arm.speed.hz for arm in arms), default=0.0)
    per_arm = {arm.name: arm_changes(arm) for arm in arms}
    grasping = [n for n, changes in per_arm.items() if any(c.kind == "grasp" for c in changes)]
    found = sorted(
        (
            (c, name if named else "")
            for name, changes in per_arm.items()
            if name in grasping or not grasping
            for c in changes
        ),
        key=lambda x: x[0].step,
    )
    starts = [Segment("reach", 0, 0)]
    for change, arm in found:
        same = _same_change(starts, change, arm, hz)
        if same is not None:
            start = starts[same]
            starts[same] = replace(
                start,
                signals=(*start.signals, *_of(arm, change.signals)),
                arm=f"{start.arm} and {arm}",
                unsure=max(start.unsure, change.unsure),
            )
        elif 0 < change.step < n_steps and change.step > starts[-1].start:
            starts.append(
                Segment(change.kind, change.step, 0, _of(arm, change.signals), arm, change.unsure)
            )
    bounds = [s.start for s in starts[1:]] + [n_steps]
    return [replace(s, end=end) for s, end in zip(starts, bounds, strict=True) if n_steps]


def _same_change(starts: list[Segment], change: Change, arm: str, hz: float) -> int | None:
    """The start of the same kind another arm made within SAME_EVENT_S before `change`, if any:
    the other arm's next change may lie between (its grasp was shorter than this arm's lag)."""
    for i in range(len(starts) - 1, 0, -1):
        start = starts[i]
        if change.step - start.start > SAME_EVENT_S * hz:
            return None
        if start.kind == change.kind and arm not in start.arm.split(" and "):
            return i
    return None


def _of(arm: str, signals: tuple[str, ...]) -> tuple[str, ...]:
    """Signals named by their arm where there are several."""
    return tuple(f"{arm} arm: {s}" for s in signals) if arm else signals
