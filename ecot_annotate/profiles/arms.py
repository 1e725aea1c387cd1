# Long file: one reading of a joint state into arms: groups, grippers, models, units, each said.
"""The arms of a robot whose state is joint positions, read from its value names and robot type.

LeRobot names each value of the state (`shoulder_pan.pos`, ..., `gripper.pos`; two arms as
`left_shoulder_pan.pos` ... `right_gripper.pos`, `arm1_j1` ... `arm2_j6`; ALOHA as `left_waist` ...
or 14 unnamed values; GR00T's meta/modality.json names spans such as `right_arm` and `right_hand`).
Each arm becomes one `ArmProfile`: its joints, its gripper, the kinematic model `robot_type` and the
joint names pick when its joints match the model's one for one, and the joint units the recorder's
convention, the recorded range and the model's joint limits imply. An arm no model knows still gets
an entry (kinematics None): its motion is read from joint speed. Every choice made for the user is
a `Decision` naming the setting that overrides it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ecot_annotate.episode import SINGLE_ARM
from ecot_annotate.kinematics.catalog import arm_side
from ecot_annotate.profiles.decision import JOINT_UNITS, KINEMATICS, Decision
from ecot_annotate.profiles.layout import ValueGroup
from ecot_annotate.profiles.model import ArmProfile, MotionFrom

ALOHA_ARM = 7  # ALOHA: 6 joints and a gripper per arm, left then right
GRIPPER_WORDS = ("gripper", "grip", "jaw", "claw")
HAND_WORDS = ("hand", "effector", "gripper")
GENERIC = re.compile(r"(j|joint|motor|m|axis|q|value|dim)_?\d+")
OVERRIDE_MODEL = "--kinematics FILE.urdf --ee-link LINK sets the model"
OVERRIDE_UNITS = "--joint-units radians|degrees|range|ticks overrides"
OVERRIDE_ARMS = "[[arms]] in a profile file (`ecot-annotate profile INPUT --write FILE.toml`)"
ORDINALS = ("first", "second", "third", "fourth")


@dataclass(frozen=True)
class ArmsFound:
    arms: tuple[ArmProfile, ...]
    notes: dict[str, str]  # "arms.NAME" -> why the arm has its model and units
    decisions: tuple[Decision, ...] = ()


@dataclass(frozen=True)
class _Group:
    """One arm's values before a model is chosen: its name, value indices and local names."""

    name: str
    indices: tuple[int, ...]
    local: dict[int, str]  # index -> the value's name without the arm's prefix
    hand: tuple[int, ...] = ()  # a hand's values (metadata groups): they grip together
    how: str = ""  # how the arm was told apart from the others


def value_name(name: str) -> str:
    """A value's name without lerobot's `.pos` suffix (or any other dotted prefix)."""
    return name.lower().removesuffix(".pos").rsplit(".", 1)[-1]


def _by_names(names: list[str], robot_type: str) -> list[_Group] | None:
    """Two or more arms told apart by their value names, or by halves for ALOHA and `bi_`/
    `bimanual` robot types whose halves repeat the same names."""
    lowered = [value_name(n) for n in names]
    sides: dict[str, dict[int, str]] = {}
    for i, name in enumerate(lowered):
        # the arm's part may be a dotted prefix the value name drops (`left_hand.joint_1.pos`)
        found = arm_side(name) or arm_side(names[i].lower().removesuffix(".pos"))
        if found:
            sides.setdefault(found[0], {})[i] = found[1]
    if len(sides) >= 2:
        how = f"their names ({', '.join(names[min(local)] for _, local in sorted(sides.items()))})"
        numbered = all(arm.startswith("#") for arm in sides)
        return [
            _Group(
                ORDINALS[n] if numbered and n < len(ORDINALS) else arm,
                tuple(local),
                local,
                tuple(i for i, n in local.items() if "hand" in n),  # a hand's values
                how,
            )
            for n, (arm, local) in enumerate(sorted(sides.items()))
        ]
    robot = robot_type.lower()
    half = len(names) // 2
    if "aloha" in robot and len(names) == 2 * ALOHA_ARM:
        how = "ALOHA's 14 values, left arm first"
    elif (
        (robot.startswith("bi_") or "bimanual" in robot)
        and len(names) % 2 == 0
        and lowered[:half] == lowered[half:]
    ):
        how = f"robot_type '{robot_type}' and two halves with the same names"
    else:
        return None
    return [
        _Group(
            side, tuple(range(a, a + half)), {i: lowered[i] for i in range(a, a + half)}, (), how
        )
        for side, a in (("left", 0), ("right", half))
    ]


def _by_metadata(names: list[str], groups: tuple[ValueGroup, ...]) -> list[_Group] | None:
    """Arms from the dataset's own value groups (`left_arm`, `right_hand`, ...): each arm group with
    the hand or gripper group of its side."""
    arms = [g for g in groups if "arm" in g.name.lower()]
    if not arms:
        return None
    found = []
    for arm in arms:
        side = arm_side(arm.name.lower())
        name = side[0] if side else arm.name.lower()
        hands = [
            g
            for g in groups
            if g is not arm
            and any(w in g.name.lower() for w in HAND_WORDS)
            and (arm_side(g.name.lower()) or (name, ""))[0] == name
        ]
        hand = hands[0].indices if hands else ()
        local = {i: value_name(names[i]) for i in (*arm.indices, *hand)}
        how = f"meta/modality.json's {arm.name}" + (f" and {hands[0].name}" if hands else "")
        found.append(_Group(name, arm.indices + hand, local, hand, how))
    return found


def _gripper_direction(
    group: _Group, gripper: int | None, names: list[str], low: tuple, high: tuple
) -> tuple[bool, str]:
    """(whether a larger value means more open, what was decided): a hand's finger angles grow as
    it closes; a gripper recorded only below zero is closed at 0 (reBot B601's opens towards
    -270), so it too grows as it closes; other grippers open as they grow."""
    if gripper is None:
        return True, "; no gripper"
    if group.hand:
        return False, (
            f"; its hand's {len(group.hand)} values grip together (their mean; {names[gripper]} "
            "moves most), larger = closed"
        )
    if low and high[gripper] <= 0 and low[gripper] < 0:
        return False, (
            f"; gripper {names[gripper]} in {low[gripper]:g}..{high[gripper]:g}, below zero: "
            "closed at 0, larger = closed"
        )
    return True, f"; gripper {names[gripper]}"


def _grip_of_hand(hand: tuple[int, ...], low: tuple, high: tuple) -> int:
    """The hand value that moves most (by its recorded range), where one value is asked for (the
    profile's `gripper_index`); the hand grips with all of them (`ArmProfile.grip`)."""
    if not low:
        return hand[0]
    return max(hand, key=lambda i: high[i] - low[i])


def _units(low: tuple, high: tuple, convention: str | None, known: bool) -> tuple[str, str]:
    """The joints' unit from the recorder's convention and the recorded range. An arm no model
    knows is never stopped by it: its moves need only a rough scale."""
    from ecot_annotate.errors import InputError
    from ecot_annotate.kinematics.units import guess_units

    if not low:
        if convention:
            return convention, f"no value ranges recorded (meta/stats.json): the arm's {convention}"
        return "radians", "no value ranges recorded (meta/stats.json): radians assumed"
    try:
        return guess_units(np.asarray([low, high], dtype=np.float64), convention)
    except InputError as exc:
        if known:
            raise
        return "radians", f"{exc}; radians assumed for joint speed"


@dataclass(frozen=True)
class _Model:
    """The model an arm's joints match, the joints in its order, and how they were matched."""

    name: str | None
    joints: tuple[int, ...]
    gripper: int | None
    said: str  # how the model was matched, or why none was


def _match(group: _Group, gripper: int | None, robot: str, names: list[str]) -> _Model:
    """The built-in model whose joints these values are, one for one: by name, or by position
    where the names are only numbers and robot_type names the arm."""
    from ecot_annotate.kinematics.catalog import BUILTIN_ARMS, pick_arm

    joints = [i for i in group.indices if i != gripper and i not in group.hand]
    local = [group.local[i] for i in joints]
    model = pick_arm(robot, local)
    if model is None:
        return _Model(None, tuple(joints), gripper, "no built-in model knows its joints")
    info = BUILTIN_ARMS[model]
    count = len(info.joint_names)
    ordered = info.columns(local)
    if ordered is not None and len(ordered) == len(joints):
        return _Model(model, tuple(joints[i] for i in ordered), gripper, "its joint names match")
    if ordered is not None:
        extra = [names[j] for k, j in enumerate(joints) if k not in ordered]
        return _Model(
            None,
            tuple(joints),
            gripper,
            f"its {len(joints)} joints do not match {model}'s {count} one for one "
            f"({', '.join(extra)} {'has' if len(extra) == 1 else 'have'} no place in it)",
        )
    generic = all(GENERIC.fullmatch(n) for n in local)
    if generic and len(joints) == count:
        return _Model(
            model, tuple(joints), gripper, f"by position, as robot_type '{robot}' names it"
        )
    if generic and gripper is None and not group.hand and len(joints) == count + 1:
        return _Model(
            model,
            tuple(joints[:-1]),
            joints[-1],
            f"by position, the last value its gripper, as robot_type '{robot}' names it",
        )
    return _Model(
        None,
        tuple(joints),
        gripper,
        f"robot_type '{robot}' names {model}, but its {len(joints)} joints "
        f"({', '.join(names[j] for j in joints[:3])}, ...) do not match {model}'s {count} one for one",
    )


def _checked_units(
    model: str | None,
    joints: tuple[int, ...],
    names: list[str],
    low: tuple,
    high: tuple,
    robot: str,
) -> tuple[str, str, bool]:
    """(unit, why, doubtful) for an arm's joints: the recorder's convention and the values' range,
    then the model's joint limits against the values."""
    from ecot_annotate.kinematics.catalog import recorder_convention
    from ecot_annotate.kinematics.units import check_against_model

    convention, whose = recorder_convention(robot, model) if model else (None, "")
    a = tuple(low[i] for i in joints) if low else ()
    b = tuple(high[i] for i in joints) if high else ()
    unit, why = _units(a, b, convention, model is not None)
    if whose and convention:
        why = why.replace(f"the recorder's convention is {convention}", whose)
    if model is None or not a:
        return unit, why, False
    from ecot_annotate.profiles.kinematics import arm_model

    limits = arm_model(model, None)
    check = check_against_model(
        a, b, unit, limits.lower, limits.upper, [names[i] for i in joints], model
    )
    if check is None:
        return unit, why, False
    return check.unit, check.reason, check.doubtful


def infer_arms(
    names: list[str],
    robot_type: str | None,
    low: tuple = (),
    high: tuple = (),
    groups: tuple[ValueGroup, ...] = (),
) -> ArmsFound:
    """Every arm in a joint-position state with per-value names."""
    robot = robot_type or ""
    found = _by_metadata(names, groups) or _by_names(names, robot)
    if found is None:
        found = [
            _Group(
                SINGLE_ARM,
                tuple(range(len(names))),
                {i: value_name(n) for i, n in enumerate(names)},
            )
        ]
    arms, notes, decisions = [], {}, []
    for group in found:
        grippers = [i for i in group.indices if any(w in group.local[i] for w in GRIPPER_WORDS)]
        gripper = grippers[0] if grippers and not group.hand else None
        if group.hand:
            gripper = _grip_of_hand(group.hand, low, high)
        elif gripper is None and group.name != SINGLE_ARM and len(group.indices) == ALOHA_ARM:
            gripper = group.indices[-1]  # ALOHA: the gripper closes each arm
        match = _match(group, gripper, robot, names)
        unit, why, doubtful = _checked_units(match.name, match.joints, names, low, high, robot)
        open_is_high, grip = _gripper_direction(group, match.gripper, names, low, high)
        arms.append(
            ArmProfile(
                group.name,
                match.joints,
                match.gripper,
                open_is_high,
                match.name,
                None,
                unit,
                hand_indices=group.hand if match.gripper is not None else (),
            )
        )
        model = f"model {match.name} ({match.said})" if match.name else f"no model: {match.said}"
        notes[f"arms.{group.name}"] = f"{model}; joints in {unit}: {why}"
        subject = f"arm {group.name}"
        told = f"told apart by {group.how}; " if group.how else ""
        decisions.append(Decision(subject, f"{told}{model}{grip}", OVERRIDE_MODEL, KINEMATICS))
        warned = "; WARNING: check the unit" if doubtful else ""
        decisions.append(
            Decision(subject, f"joints in {unit}: {why}{warned}", OVERRIDE_UNITS, JOINT_UNITS)
        )
    return ArmsFound(tuple(arms), notes, tuple(decisions))


def unnamed_aloha(robot_type: str | None, width: int) -> bool:
    """ALOHA's 14 values (two arms of 6 joints and a gripper) are known by position."""
    return "aloha" in (robot_type or "").lower() and width == 2 * ALOHA_ARM


def joint_fields(
    names: tuple[str, ...],
    robot_type: str | None,
    low: tuple = (),
    high: tuple = (),
    groups: tuple[ValueGroup, ...] = (),
) -> tuple[dict, ArmsFound]:
    """Profile fields for a state of named joint positions, and how its arms were read: the track
    is forward kinematics of each arm's joints, joint speed for an arm no model knows."""
    found = infer_arms(list(names), robot_type, low, high, groups)
    fields = dict(
        motion_from=MotionFrom.JOINTS,
        xyz_indices=(),
        rotation="none",
        rotation_indices=(),
        gripper_from="none",
        gripper_index=None,
        arms=found.arms,
    )
    return fields, found
