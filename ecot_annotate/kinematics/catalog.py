"""The arms with a built-in kinematic model, and how a dataset's robot_type or joint names pick one.

Each entry is a fact sheet: where the URDF is, which link is the end effector, the joint names the
model uses, the names datasets write for the same joints, the robot_type strings recorders write,
and the unit the recorder's joint values are in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).parent / "models"

# LeRobot's feature names for the SO-100/SO-101/Koch family (state names carry ".pos").
_LEROBOT_ARM = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll")
# Interbotix X-series (ALOHA's ViperX, Bridge's WidowX): the URDF's and ALOHA's names.
_INTERBOTIX = ("waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate")
# Universal Robots' joint names (ur_description); datasets also drop the "_joint".
_UR = (
    "shoulder_pan_joint",
    "shoulder_lift_joint",
    "elbow_joint",
    "wrist_1_joint",
    "wrist_2_joint",
    "wrist_3_joint",
)


def _numbered(count: int, prefix: str = "") -> tuple[tuple[str, ...], ...]:
    """joint1..jointN, also written joint_1..joint_N."""
    return tuple((f"{prefix}joint{i}", f"{prefix}joint_{i}") for i in range(1, count + 1))


@dataclass(frozen=True)
class ArmModelInfo:
    """One built-in arm.

    `aliases[i]` lists the names a dataset may give to `joint_names[i]`. `names_pick` says whether
    joint names alone may choose this arm: False where another arm uses the same names (SO-100 and
    Koch share SO-101's, WidowX shares ViperX's, UR5 and UR10e share the UR5e's) or the names are generic (joint1..joint6).
    `convention` is the unit the usual recorder writes: "radians", "degrees", or "range"
    (LeRobot's -100..100 normalisation of the joint's calibrated range).
    """

    name: str
    urdf: Path
    ee_link: str
    joint_names: tuple[str, ...]
    aliases: tuple[tuple[str, ...], ...]
    robot_types: tuple[str, ...]
    convention: str
    names_pick: bool = True

    def columns(self, names: Sequence[str], side: str | None = None) -> list[int] | None:
        """Indices of `names` holding this arm's joints in model order, or None if one is missing.

        `side` ("left"/"right") keeps only the names of that arm of a two-arm dataset.
        """
        found: dict[str, int] = {}
        for index, raw in enumerate(names):
            if side is not None and (arm_side(raw.strip().lower()) or (None,))[0] != side:
                continue
            found.setdefault(normalize_joint_name(raw), index)
        picked = []
        for accepted in self.aliases:
            hit = next((found[a] for a in accepted if a in found), None)
            if hit is None:
                return None
            picked.append(hit)
        return picked


# How datasets tell two arms apart in value names: (pattern, the arm's name from the match).
SIDE_PATTERNS = (
    (re.compile(r"^(left|right)[_.]"), lambda m: m.group(1)),
    (re.compile(r"^(l|r)_"), lambda m: {"l": "left", "r": "right"}[m.group(1)]),
    (re.compile(r"[_.](left|right)$"), lambda m: m.group(1)),
    (re.compile(r"^(?:arm|robot|follower)_?(\d)[_.]"), lambda m: f"#{m.group(1)}"),
    (re.compile(r"^k(left|right)(?=[a-z])"), lambda m: m.group(1)),  # Unitree: kLeftElbow
)


def arm_side(name: str) -> tuple[str, str] | None:
    """(arm, the name without the arm's part) for a lower-case value name that says which arm it
    belongs to (`left_shoulder_pan`, `l_gripper`, `gripper_left`, `arm1_j1`), else None. Every
    reader of a two-arm dataset's names (profile inference, the catalog's joint columns) asks
    this one function."""
    for pattern, arm in SIDE_PATTERNS:
        match = pattern.search(name)
        if match:
            return arm(match), (name[: match.start()] + name[match.end() :]).strip("_.")
    return None


def normalize_joint_name(name: str) -> str:
    """A dataset's joint name as the catalog writes it: lower case, without the arm's side
    (left_/right_), LeRobot v2.0's `main_` or LeKiwi's `arm_` prefix, and without `.pos`."""
    text = name.strip().lower()
    text = (arm_side(text) or (None, text))[1]
    text = re.sub(r"^(main|arm)_", "", text)
    return re.sub(r"\.(pos|position|q)$", "", text)


def _normalize_robot_type(robot_type: str) -> str:
    return re.sub(r"[^a-z0-9]", "", robot_type.lower())


def _arm(
    name: str, ee_link: str, joints: Sequence[str], aliases: Sequence[Sequence[str]], **facts: Any
) -> ArmModelInfo:
    """An entry whose aliases also accept the model's own joint names."""
    with_own = tuple(
        tuple(dict.fromkeys((j.lower(), *a))) for j, a in zip(joints, aliases, strict=True)
    )
    return ArmModelInfo(
        name, MODELS_DIR / f"{name}.urdf", ee_link, tuple(joints), with_own, **facts
    )


# Order matters where joint names alone decide: the first arm whose names all appear wins.
BUILTIN_ARMS: dict[str, ArmModelInfo] = {
    arm.name: arm
    for arm in (
        _arm(
            "so101",
            "gripper_frame_link",
            _LEROBOT_ARM,
            [(j,) for j in _LEROBOT_ARM],
            robot_types=("so101", "lekiwi"),
            convention="range",
        ),
        _arm(
            "so100",
            "gripper",
            _LEROBOT_ARM,
            [(j,) for j in _LEROBOT_ARM],
            robot_types=("so100",),
            convention="range",
            names_pick=False,
        ),
        _arm(
            "koch",
            "link_5",
            [f"joint_{i}" for i in range(1, 6)],
            [(j,) for j in _LEROBOT_ARM],
            robot_types=("koch",),
            convention="range",
            names_pick=False,
        ),
        _arm(
            "viperx300",
            "ee_gripper_link",
            _INTERBOTIX,
            [(j,) for j in _INTERBOTIX],
            robot_types=("aloha", "viperx", "vx300"),
            convention="radians",
        ),
        _arm(
            "widowx250",
            "ee_gripper_link",
            _INTERBOTIX,
            [(j,) for j in _INTERBOTIX],
            robot_types=("widowx", "wx250"),
            convention="radians",
            names_pick=False,
        ),
        _arm(
            "piper",
            "link6",
            [f"joint{i}" for i in range(1, 7)],
            _numbered(6),
            robot_types=("piper",),
            convention="radians",
            names_pick=False,
        ),
        _arm(
            "panda",
            "panda_hand_tcp",
            [f"panda_joint{i}" for i in range(1, 8)],
            _numbered(7, "panda_"),
            robot_types=("panda", "franka"),
            convention="radians",
        ),
        _arm(
            "ur5e",
            "tool0",
            _UR,
            [(j[:-6],) for j in _UR],
            robot_types=("ur5e",),
            convention="radians",
        ),
        _arm(
            "ur5",
            "tool0",
            _UR,
            [(j[:-6],) for j in _UR],
            robot_types=("ur5",),
            convention="radians",
            names_pick=False,
        ),
        _arm(
            "ur10e",
            "tool0",
            _UR,
            [(j[:-6],) for j in _UR],
            robot_types=("ur10e",),
            convention="radians",
            names_pick=False,
        ),
        _arm(
            "xarm6",
            "link_eef",
            [f"joint{i}" for i in range(1, 7)],
            _numbered(6),
            robot_types=("xarm6",),
            convention="radians",
            names_pick=False,
        ),
        _arm(
            "xarm7",
            "link_eef",
            [f"joint{i}" for i in range(1, 8)],
            _numbered(7),
            robot_types=("xarm7",),
            convention="radians",
            names_pick=False,
        ),
    )
}


# Recorders whose unit differs from the arm's usual one, by robot_type token: lerobot 0.6's
# `so_follower` (and `bi_so_follower`) records body joints in degrees by default (use_degrees=True),
# where older `so101_follower` recordings hold range mode.
RECORDER_UNITS = {"sofollower": "degrees"}


def recorder_convention(robot_type: str | None, model: str) -> tuple[str, str]:
    """(unit, whose convention) the recorder of `robot_type` writes `model`'s joints in."""
    text = _normalize_robot_type(robot_type or "")
    for token, unit in RECORDER_UNITS.items():
        if token in text:
            return unit, f"lerobot's {robot_type} records {unit}"
    convention = BUILTIN_ARMS[model].convention
    return convention, f"{model}'s usual recorder writes {convention}"


def pick_arm(robot_type: str | None, joint_names: Sequence[str]) -> str | None:
    """The built-in arm for a dataset: by robot_type first, then by its joint names; None if neither.

    robot_type matches when it contains an arm's token (`bi_so101_follower` -> so101); the longest
    token wins. Joint names match when every joint of the arm is named (after dropping `.pos` and
    `left_`/`right_`); among those the arm with most joints wins, first in BUILTIN_ARMS on a tie.
    """
    if robot_type:
        text = _normalize_robot_type(robot_type)
        hits = [
            (len(token), arm.name)
            for arm in BUILTIN_ARMS.values()
            for token in arm.robot_types
            if token in text
        ]
        if hits:
            return max(hits, key=lambda hit: hit[0])[1]
    named = [
        arm
        for arm in BUILTIN_ARMS.values()
        if arm.names_pick and arm.columns(joint_names) is not None
    ]
    if not named:
        return None
    most = max(len(arm.joint_names) for arm in named)
    return next(arm.name for arm in named if len(arm.joint_names) == most)
