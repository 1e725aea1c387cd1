"""The dataset profile: where a dataset keeps its camera, state, action and instruction.

Key names are '/'-joined feature paths (RLDS) or the dataset's own column names (LeRobot). The
state and the action are each a list of keys concatenated in order, so a dict-shaped action
(`world_vector`, `rotation_delta`, `gripper_closedness_action`) is named as it is stored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

import numpy as np

from ecot_annotate.errors import InputError

ROTATIONS = ("euler", "quaternion", "axis_angle", "none")
EXACT_UNITS = ("radians", "degrees")  # the others depend on each arm's calibration
GRIPPER_SOURCES = ("state", "action", "none")
QUATERNION_ORDERS = ("xyzw", "wxyz")
NO_CAMERA = "none"  # image_key = "none" (or --camera none): no frames, annotated from the state
# Older profile files named one state/action key; they still load.
_LEGACY_SINGLE = {"state_key": "state_keys", "action_key": "action_keys"}


class MotionFrom(StrEnum):
    """Where the end-effector track comes from: read from the profile's text once, then asked."""

    STATE = "state"  # the state holds the pose
    ACTION_DELTAS = "action_deltas"  # the action holds per-step changes, integrated
    ACTION_POSE = "action_pose"  # the action holds the pose
    JOINTS = "joints"  # the state holds joint positions: a track per arm (`arms`)

    @property
    def per_arm(self) -> bool:
        """Whether each arm of `arms` is its own track (else the profile's indices are one)."""
        return self is MotionFrom.JOINTS

    @property
    def in_action(self) -> bool:
        """Whether the values are read from the action (else from the state)."""
        return self in (MotionFrom.ACTION_DELTAS, MotionFrom.ACTION_POSE)

    @property
    def integrated(self) -> bool:
        return self is MotionFrom.ACTION_DELTAS

    @property
    def label(self) -> str:
        """What a track read this way is called in provenance and outputs."""
        return _MOTION_LABELS[self]


_MOTION_LABELS = {
    MotionFrom.STATE: "state",
    MotionFrom.ACTION_DELTAS: "integrated action deltas",
    MotionFrom.ACTION_POSE: "action pose",
    MotionFrom.JOINTS: "forward kinematics per arm",
}


@dataclass(frozen=True)
class ArmProfile:
    """One arm of a robot whose state is joint positions: where its joints and gripper are in the
    state, and the kinematic model that turns the joints into an end-effector pose."""

    name: str  # "arm" for a single arm; "left" / "right" for two
    joint_indices: tuple[int, ...]  # into the state, in the model's joint order
    gripper_index: int | None = None  # into the state; None when the arm has no gripper value
    gripper_open_is_high: bool = True
    kinematics: str | None = None  # a built-in model name or a URDF path; None: unknown arm
    ee_link: str | None = None  # the URDF's end-effector link (built-in models know their own)
    joint_units: str = "radians"  # radians | degrees | range (-100..100) | ticks
    gripper_action_index: int | None = None  # into the action, where only the action has it
    hand_indices: tuple[int, ...] = ()  # a hand's values, which grip together (see `grip`)

    @property
    def approximate(self) -> bool:
        """Range mode and servo ticks map onto the model's limits without the arm's calibration."""
        return self.joint_units not in EXACT_UNITS

    def grip(self, values: np.ndarray) -> np.ndarray | None:
        """The gripper value per step of (T, S) state or action values, as recorded (larger = more
        open when `gripper_open_is_high`); None without a gripper. A hand grips with all its
        fingers, which close by different amounts and at different times: its grip is the mean
        of its values, in which the fingers that move most weigh most and one finger's lag or
        twitch moves it only in part."""
        if self.gripper_index is None:
            return None
        if not self.hand_indices:
            return values[:, self.gripper_index]
        return values[:, list(self.hand_indices)].mean(axis=1).astype(values.dtype)


@dataclass(frozen=True)
class DatasetProfile:
    """Step keys are looked up inside `steps`; `episode_metadata/...` keys at episode level."""

    name: str
    image_key: str | None = "observation/image_0"  # None: no camera, annotated from state alone
    state_keys: tuple[str, ...] = ("observation/state",)  # concatenated; () when there is none
    action_keys: tuple[str, ...] = ("action",)  # concatenated in this order
    instruction_key: str | None = "language_instruction"  # a step key, or "episode_metadata/..."
    file_path_key: str | None = "episode_metadata/file_path"
    episode_id_key: str | None = "episode_metadata/episode_id"
    motion_from: MotionFrom = MotionFrom.STATE  # where the end-effector track comes from
    xyz_indices: tuple[int, ...] = (0, 1, 2)  # into the state (or action); 2 for planar robots
    rotation: str = "euler"  # euler (roll, pitch, yaw) | quaternion | axis_angle | none
    rotation_indices: tuple[int, ...] = (3, 4, 5)
    quaternion_order: str = "xyzw"
    gripper_from: str = "state"  # state | action | none (then no gripper primitives)
    gripper_index: int | None = 6
    gripper_open_is_high: bool = True  # Bridge: 1.0 open, 0.0 closed
    control_hz: float | None = None  # steps per second, where the dataset documents it
    ground_truth_key: str | None = None  # generated sample: per-step ground truth for measuring
    arms: tuple[ArmProfile, ...] = ()  # motion_from = "joints": one arm, or two (left, right)

    def __post_init__(self) -> None:
        try:
            motion_from = MotionFrom(self.motion_from)
        except ValueError:
            raise InputError(
                f"profile {self.name}: motion_from '{self.motion_from}' is not one of "
                f"{', '.join(MotionFrom)}"
            ) from None
        object.__setattr__(self, "motion_from", motion_from)

    @property
    def state_key(self) -> str | None:
        """The single state key of simple layouts (None when the state is several keys)."""
        return self.state_keys[0] if len(self.state_keys) == 1 else None

    @property
    def moves_name_gripper(self) -> bool:
        """Whether the motion primitives can name the gripper: a joint arm's moves come from the
        state alone, so only an arm whose gripper is in the state has it in its moves (one that
        keeps it only as the action's command, as a Dobot CR5 does, never does); a pose's
        gripper is wherever `gripper_from` reads it."""
        if self.motion_from.per_arm:
            return any(arm.gripper_index is not None for arm in self.arms)
        return self.gripper_from != "none" and self.gripper_index is not None

    def as_dict(self) -> dict[str, Any]:
        """Every field; `arms` only where there are arms, so a Cartesian profile's digest (its
        name in a run's config) is what it was before profiles had arms."""
        data = asdict(self)
        if not self.arms:
            data.pop("arms")
        return data


def _indices(value: Any, key: str, origin: str) -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in value
    ):
        raise InputError(f"profile {origin}: {key} must be a list of integers, got {value!r}")
    return tuple(value)


def _arm(value: Any, origin: str) -> ArmProfile:
    """One `[[arms]]` entry; unknown keys are named, as for the profile itself."""
    if isinstance(value, ArmProfile):
        return value
    if not isinstance(value, dict):
        raise InputError(f"profile {origin}: each entry of arms must be a table, got {value!r}")
    known = {f.name for f in fields(ArmProfile)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise InputError(f"profile {origin}: arms: unknown keys {unknown}; known: {sorted(known)}")
    data = dict(value)
    for key in ("name", "joint_indices"):
        if key not in data:
            raise InputError(f"profile {origin}: each arm needs '{key}'")
    data["joint_indices"] = _indices(data["joint_indices"], "arms.joint_indices", origin)
    if isinstance(data.get("gripper_index"), str):
        raise InputError(f"profile {origin}: arms.gripper_index must be a number")
    if "hand_indices" in data:
        data["hand_indices"] = _indices(data["hand_indices"], "arms.hand_indices", origin)
    for key in ("kinematics", "ee_link"):
        if data.get(key) == "":
            data[key] = None
    return ArmProfile(**data)


def profile_from_mapping(data: dict[str, Any], origin: str) -> DatasetProfile:
    """Build a profile from parsed TOML/JSON, naming unknown keys instead of failing on them."""
    data = dict(data)
    for old, new in _LEGACY_SINGLE.items():
        if old in data:
            if new in data:
                raise InputError(f"profile {origin}: give '{new}' or '{old}', not both")
            value = data.pop(old)
            data[new] = [] if value in (None, "") else [value]
    known = {f.name for f in fields(DatasetProfile)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"profile {origin}: unknown keys {unknown}; known keys: {sorted(known)}")
    if "name" not in data:
        raise InputError(f"profile {origin}: 'name' is required")
    for key in ("state_keys", "action_keys"):
        if key in data:
            value = data[key]
            data[key] = (value,) if isinstance(value, str) else tuple(str(k) for k in value)
    for key in ("xyz_indices", "rotation_indices"):
        if key in data:
            data[key] = _indices(data[key], key, origin)
    for key in ("gripper_index", "control_hz"):
        if isinstance(data.get(key), str):
            raise InputError(f"profile {origin}: {key} must be a number, got '{data[key]}'")
    if "rotation_indices" in data and not data["rotation_indices"] and "rotation" not in data:
        data["rotation"] = "none"  # an empty rotation list means the state carries no rotation
    if data.get("gripper_index", 0) is None and "gripper_from" not in data:
        data["gripper_from"] = "none"
    if data.get("gripper_from") == "none":
        data.setdefault("gripper_index", None)
    for key in (
        "image_key",
        "file_path_key",
        "episode_id_key",
        "instruction_key",
        "ground_truth_key",
    ):
        if data.get(key) == "":
            data[key] = None
    if str(data.get("image_key")).lower() == NO_CAMERA:  # as `--camera none`
        data["image_key"] = None
    if "arms" in data:
        if not isinstance(data["arms"], list | tuple):
            raise InputError(f"profile {origin}: arms must be a list of tables ([[arms]])")
        data["arms"] = tuple(_arm(arm, origin) for arm in data["arms"])
    return DatasetProfile(**data)
