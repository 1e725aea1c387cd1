"""The arms of a robot whose state is joint positions, read from its value names and robot type.

LeRobot names each value of the state (`shoulder_pan.pos`, ..., `gripper.pos`; two arms as
`left_shoulder_pan.pos` ... `right_gripper.pos`; ALOHA as `left_waist` ... or 14 unnamed values).
Each arm becomes one `ArmProfile`: its joints, its gripper, the kinematic model `robot_type` and
the joint names pick, and the joint units the robot's convention and the recorded range imply.
An arm no model knows still gets an entry (kinematics None): its motion is read from joint speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecot_annotate.episode import SINGLE_ARM
from ecot_annotate.kinematics.catalog import SIDES, arm_side
from ecot_annotate.profiles.model import ArmProfile, MotionFrom

ALOHA_ARM = 7  # ALOHA: 6 joints and a gripper per arm, left then right


@dataclass(frozen=True)
class ArmsFound:
    arms: tuple[ArmProfile, ...]
    notes: dict[str, str]  # "arms.NAME" -> why the arm has its model and units


def value_name(name: str) -> str:
    """A value's name without lerobot's `.pos` suffix (or any other dotted prefix)."""
    return name.lower().removesuffix(".pos").rsplit(".", 1)[-1]


def _groups(names: list[str], robot_type: str) -> list[tuple[str, list[int]]]:
    """(arm name, indices of its values): one arm, or left and right by prefix or by halves."""
    found = [arm_side(n)[0] for n in names]
    sides = {side: [i for i, s in enumerate(found) if s == side] for side in SIDES}
    if all(sides.values()):
        return [(side, sides[side]) for side in SIDES]
    if "aloha" in robot_type.lower() and len(names) == 2 * ALOHA_ARM:
        left, right = SIDES
        return [(left, list(range(ALOHA_ARM))), (right, list(range(ALOHA_ARM, 2 * ALOHA_ARM)))]
    return [(SINGLE_ARM, list(range(len(names))))]


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


def infer_arms(
    names: list[str], robot_type: str | None, low: tuple = (), high: tuple = ()
) -> ArmsFound:
    """Every arm in a joint-position state with per-value names."""
    from ecot_annotate.kinematics.catalog import BUILTIN_ARMS, pick_arm

    robot = robot_type or ""
    arms, notes = [], {}
    for side, indices in _groups(names, robot):
        local = {i: value_name(arm_side(names[i])[1]) for i in indices}
        grippers = [i for i in indices if "gripper" in local[i]]
        gripper = grippers[0] if grippers else None
        joints = [i for i in indices if i != gripper]
        if gripper is None and side != SINGLE_ARM and len(indices) == ALOHA_ARM:
            gripper, joints = indices[-1], indices[:-1]  # ALOHA: the gripper closes each arm
        model = pick_arm(robot, [names[i] for i in joints])
        info = BUILTIN_ARMS.get(model) if model else None
        if info is not None:
            ordered = info.columns([names[i] for i in joints])  # the model's joint order
            if ordered is not None:
                joints = [joints[i] for i in ordered]
            elif len(joints) != len(info.joint_names):
                model, info = None, None  # robot_type names an arm these values are not
        unit, why = _units(
            tuple(low[i] for i in joints) if low else (),
            tuple(high[i] for i in joints) if high else (),
            info.convention if info else None,
            info is not None,
        )
        arms.append(ArmProfile(side, tuple(joints), gripper, True, model, None, unit))
        said = f"model {model} (robot_type '{robot}', joint names)" if model else "no known model"
        notes[f"arms.{side}"] = f"{said}; joints in {unit}: {why}"
    return ArmsFound(tuple(arms), notes)


def unnamed_aloha(robot_type: str | None, width: int) -> bool:
    """ALOHA's 14 values (two arms of 6 joints and a gripper) are known by position."""
    return "aloha" in (robot_type or "").lower() and width == 2 * ALOHA_ARM


def joint_fields(
    names: tuple[str, ...], robot_type: str | None, low: tuple = (), high: tuple = ()
) -> tuple[dict, dict[str, str]]:
    """Profile fields (and notes) for a state of named joint positions: the track is forward
    kinematics of each arm's joints, joint speed for an arm no model knows."""
    found = infer_arms(list(names), robot_type, low, high)
    notes = {**found.notes, "motion_from": "the state holds joint positions: kinematics per arm"}
    fields = dict(
        motion_from=MotionFrom.JOINTS,
        xyz_indices=(),
        rotation="none",
        rotation_indices=(),
        gripper_from="none",
        gripper_index=None,
        arms=found.arms,
    )
    return fields, notes
