"""A profile as a commented TOML file to edit: each field says where its value came from."""

from __future__ import annotations

import json
from dataclasses import fields

from ecot_annotate.profiles.infer import Inference
from ecot_annotate.profiles.model import ArmProfile, DatasetProfile

HELP = {
    "image_key": 'primary (third-person) RGB camera; "" or "none" = no camera (state only)',
    "state_keys": "proprioception, concatenated in this order",
    "action_keys": "action, concatenated in this order",
    "instruction_key": 'step key, or "episode_metadata/..."; "" = none',
    "file_path_key": '"" = the dataset has none',
    "episode_id_key": '"" = the dataset has none',
    "motion_from": "state | action_deltas (integrated) | action_pose | joints (arms below)",
    "xyz_indices": "end-effector x, y, z (into the state, or the action per motion_from)",
    "rotation": "euler | quaternion | axis_angle | none",
    "rotation_indices": "3 (roll, pitch, yaw / rotation vector) or 4 (quaternion) indices",
    "quaternion_order": "xyzw | wxyz",
    "gripper_from": "state | action | none (no gripper primitives)",
    "gripper_index": "the gripper value's index",
    "gripper_open_is_high": "true when a larger value means more open",
    "control_hz": "steps per second",
}
ARM_HELP = {
    "joint_indices": "the arm's joints in the state, in the kinematic model's order",
    "gripper_index": "the arm's gripper value in the state",
    "kinematics": "a built-in model name or a URDF file; omit for an unknown arm (move/stop only)",
    "ee_link": "the URDF's end-effector link",
    "joint_units": "radians | degrees | range (LeRobot's -100..100) | ticks",
    "gripper_action_index": "the arm's gripper command in the action, where the state has none",
    "hand_indices": "a hand's values: its grip is their mean",
}


def _value(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return json.dumps(value)


def profile_toml(profile: DatasetProfile, inference: Inference | None = None) -> str:
    """TOML text that `load_profile` reads back to the same profile (unset fields excepted)."""
    notes = inference.notes if inference else {}
    unset = inference.unset if inference else {}
    lines = [
        f"# Dataset profile for {profile.name}.",
        "# Edit, then: ecot-annotate annotate INPUT --profile THIS_FILE",
    ]
    if unset:
        lines.append("# Fields marked SET ME could not be inferred from the dataset's description.")
    said: set[str] = set()
    for f in fields(DatasetProfile):
        name, value = f.name, getattr(profile, f.name)
        if (name == "ground_truth_key" and value is None) or name == "arms":
            continue
        comment = "; ".join(x for x in (HELP.get(name), notes.get(name)) if x)
        if name in unset:
            if unset[name] not in said:
                lines.append(f"# SET ME: {unset[name]}")
                said.add(unset[name])
            lines.append(f'{name} = "SET ME"')
            continue
        text = _value(value)
        if text is None:
            if name in ("gripper_index", "control_hz"):
                lines.append(f"# {name} = ...  ({comment or 'not known'})")
                continue
            text = '""'
        lines.append(f"{name} = {text}" + (f"  # {comment}" if comment else ""))
    for arm in profile.arms:
        lines += ["", *_arm_table(arm, notes.get(f"arms.{arm.name}"))]
    return "\n".join(lines) + "\n"


def _arm_table(arm: ArmProfile, note: str | None) -> list[str]:
    """One `[[arms]]` table; TOML needs these after every top-level key."""
    lines = ["[[arms]]" + (f"  # {note}" if note else "")]
    for f in fields(ArmProfile):
        text = _value(getattr(arm, f.name))
        if text is None:
            continue
        help_text = ARM_HELP.get(f.name)
        lines.append(f"{f.name} = {text}" + (f"  # {help_text}" if help_text else ""))
    return lines
