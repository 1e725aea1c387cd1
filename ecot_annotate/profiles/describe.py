"""Read a vector's layout from how the dataset documents it: per-value names or a description.

Open X-Embodiment feature descriptions follow a few habits: `[3x EEF position, 4x EEF orientation
in quaternion, 1x gripper]`, `EE position (3), EE orientation in euler angles (3), ...` or a
list of names `[x, y, z, roll, pitch, yaw, gripper]`; LeRobot's info.json lists `names`. Each
becomes one role per value. A description whose counts do not add up to the vector's width is
not trusted (some cards were copied from another dataset), and nothing is guessed from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

POSITION, EULER, QUATERNION, GRIPPER, JOINT, OTHER = (
    "position",
    "euler",
    "quaternion",
    "gripper",
    "joint",
    "other",
)
_COUNT_FIRST = re.compile(r"(\d+)\s*x\s+([^,;\]\[]+)", re.IGNORECASE)
_COUNT_AFTER = re.compile(r"([A-Za-z][^,;()\[\]]*?)\s*\((\d+)\)")
_AXES = {"x": 0, "y": 1, "z": 2}
_ANGLES = {"roll": 0, "pitch": 1, "yaw": 2, "rx": 0, "ry": 1, "rz": 2}
_QUAT = {"qx": "x", "qy": "y", "qz": "z", "qw": "w"}


@dataclass(frozen=True)
class VectorLayout:
    """Indices of the end-effector pose and gripper inside one vector, as documented."""

    xyz: tuple[int, ...] = ()
    rotation: str = "none"
    rotation_indices: tuple[int, ...] = ()
    quaternion_order: str = "xyzw"
    gripper: int | None = None
    joints_only: bool = False  # documented, and holds joint values but no end-effector pose
    evidence: str = ""  # what the layout was read from, for the written profile's comments


def _role(label: str, count: int) -> str:
    text = label.lower()
    if "joint" in text or "velocit" in text or "torque" in text or "force" in text:
        return JOINT if "joint" in text else OTHER
    if "gripper" in text or "finger" in text:
        return GRIPPER
    if "quat" in text and count == 4:
        return QUATERNION
    if count == 3 and any(w in text for w in ("euler", "rpy", "roll", "orientation", "rotation")):
        return EULER
    if count == 3 and any(w in text for w in ("position", "pos", "xyz", "translation")):
        return POSITION
    return OTHER


def _segments(doc: str) -> list[tuple[str, int]]:
    first = [(m.group(2).strip(), int(m.group(1))) for m in _COUNT_FIRST.finditer(doc)]
    if first:
        return first
    return [(m.group(1).strip(), int(m.group(2))) for m in _COUNT_AFTER.finditer(doc)]


def _from_roles(roles: list[str], evidence: str) -> VectorLayout:
    def span(role: str, size: int) -> tuple[int, ...]:
        for start in range(len(roles) - size + 1):
            if roles[start : start + size] == [role] * size:
                return tuple(range(start, start + size))
        return ()

    xyz, euler, quat = span(POSITION, 3), span(EULER, 3), span(QUATERNION, 4)
    gripper = roles.index(GRIPPER) if GRIPPER in roles else None
    if xyz:
        kind, rot = ("euler", euler) if euler else ("quaternion", quat) if quat else ("none", ())
        return VectorLayout(xyz, kind, rot, "xyzw", gripper, False, evidence)
    joints_only = JOINT in roles
    return VectorLayout((), "none", (), "xyzw", gripper, joints_only, evidence)


def layout_from_doc(doc: str, width: int) -> VectorLayout | None:
    """The documented layout of a `width`-value vector, or None when the text does not say."""
    if not doc:
        return None
    segments = _segments(doc)
    if segments and sum(n for _, n in segments) == width:
        roles = [r for label, n in segments for r in [_role(label, n)] * n]
        return _from_roles(roles, f"its description: {doc.strip()[:120]}")
    evidence = f"its description: {doc.strip()[:120]}"
    bracket = re.search(r"\[([^\]]+)\]", doc)
    if bracket:
        names = [n.strip() for n in bracket.group(1).split(",")]
        if len(names) == width and all(re.fullmatch(r"\w+", n) for n in names):
            return layout_from_names(names, evidence)
    text = doc.lower()
    pose_words = ("eef", "end effector", "end-effector", "cartesian", "pose", "xyz", "quat")
    if not segments and "joint" in text and not any(w in text for w in pose_words):
        return VectorLayout((), "none", (), "xyzw", None, True, evidence)
    return None


def _named(lowered: list[str], name: str, skip: tuple[str, ...] = ()) -> int | None:
    """Index of the value called `name`, or `..._name` (eef_pos_x) unless it is one of `skip`."""
    for i, n in enumerate(lowered):
        if n == name or (n.endswith(f"_{name}") and not any(w in n for w in skip)):
            return i
    return None


def _value_name(name: str) -> str:
    """The part of a value's name that says what it is: `state.x` -> `x`; lerobot's joint positions
    keep the joint (`shoulder_pan.pos` -> `shoulder_pan`, `left_gripper.pos` -> `left_gripper`)."""
    lowered = name.lower().removesuffix(".pos")
    return lowered.rsplit(".", 1)[-1]


def layout_from_names(names: list[str], evidence: str = "") -> VectorLayout | None:
    """The layout from per-value names (x, y, z, roll/pitch/yaw or qx..qw, gripper).

    Named values with no end-effector words (`shoulder_pan`, ..., `gripper`) are joints, and so is
    every name lerobot writes for a joint position (`shoulder_pan.pos`, ..., `gripper.pos`);
    numbered names (`motor_0`, ...) say nothing."""
    lowered = [_value_name(n) for n in names]
    evidence = evidence or f"its names: {', '.join(names)}"
    gripper = next((i for i, n in enumerate(lowered) if "gripper" in n), None)
    axes = [_named(lowered, a, ("quat", "rot", "vel", "force")) for a in _AXES]
    if None in axes:
        if all(re.fullmatch(r"(motor|dim|value)_?\d+", n) for n in lowered):
            return None  # motor_0, motor_1, ...: the names say nothing about the layout
        if any(w in n for n in lowered for w in ("eef", "ee_", "tcp", "pos", "cart", "pose")):
            return None  # an end-effector pose under names this reader does not know
        return VectorLayout((), "none", (), "xyzw", gripper, True, evidence)
    angles = [_named(lowered, a, ("vel",)) for a in ("roll", "pitch", "yaw")]
    quat = {q: i for q in _QUAT for i in [_named(lowered, q)] if i is not None}
    if None not in angles:
        return VectorLayout(tuple(axes), "euler", tuple(angles), "xyzw", gripper, False, evidence)
    if len(quat) == 4:
        order = "wxyz" if quat["qw"] < quat["qx"] else "xyzw"
        keys = ("qw", "qx", "qy", "qz") if order == "wxyz" else ("qx", "qy", "qz", "qw")
        rot = tuple(quat[q] for q in keys)
        return VectorLayout(tuple(axes), "quaternion", rot, order, gripper, False, evidence)
    return VectorLayout(tuple(axes), "none", (), "xyzw", gripper, False, evidence)
