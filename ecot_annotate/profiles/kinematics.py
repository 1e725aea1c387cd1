"""Every arm's track (xyz, roll/pitch/yaw, gripper) that a profile reads from an episode.

A state with an end-effector pose gives one arm, named `arm`, directly. A state of joint angles
only has no pose: the track is then integrated from the action's deltas (or read from an absolute
pose in the action), and `source` says so, so every output can tell which one it was. A robot whose
profile lists its arms (`motion_from = "joints"`) gets each arm's track through forward kinematics
of its kinematic model; an arm with no model has no pose: its motion is read from joint speed.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from ecot_annotate.episode import SINGLE_ARM, ArmTrack
from ecot_annotate.errors import EpisodeError
from ecot_annotate.profiles.model import ArmProfile, DatasetProfile

NO_MODEL = "joint speed (no kinematic model)"
# A full turn of a joint in each unit: an unknown arm's joints are compared in turns. LeRobot's
# range mode spans a joint's calibrated range with -100..100, about a turn on its servos.
FULL_TURN = {"radians": 2 * math.pi, "degrees": 360.0, "range": 200.0, "ticks": 4096.0}


def quaternion_to_rpy(quaternion: np.ndarray, order: str = "xyzw") -> np.ndarray:
    """(T, 4) unit quaternions -> (T, 3) roll, pitch, yaw (extrinsic x, y, z) in radians."""
    from scipy.spatial.transform import Rotation

    q = np.asarray(quaternion, dtype=np.float64)
    if order == "wxyz":
        q = q[:, [1, 2, 3, 0]]
    norms = np.linalg.norm(q, axis=1, keepdims=True)
    q = np.where(norms > 0, q / np.where(norms > 0, norms, 1), [0.0, 0.0, 0.0, 1.0])
    return Rotation.from_quat(q).as_euler("xyz")


def _integrate(deltas: np.ndarray) -> np.ndarray:
    """Positions before each step: 0 at step 0, then the running sum of earlier deltas."""
    out = np.zeros_like(deltas, dtype=np.float64)
    out[1:] = np.cumsum(deltas[:-1], axis=0)
    return out


def _rotation(p: DatasetProfile, source: np.ndarray, integrate: bool) -> np.ndarray:
    n = len(source)
    if p.rotation == "none":
        return np.zeros((n, 3), dtype=source.dtype)
    values = source[:, list(p.rotation_indices)]
    if p.rotation == "euler":
        return _integrate(values).astype(source.dtype) if integrate else values
    if p.rotation == "axis_angle":
        from scipy.spatial.transform import Rotation

        if integrate:  # small per-step rotations: their vectors add up like angles
            return _integrate(values).astype(source.dtype)
        return Rotation.from_rotvec(values.astype(np.float64)).as_euler("xyz").astype(source.dtype)
    if not integrate:
        return quaternion_to_rpy(values, p.quaternion_order).astype(source.dtype)
    from scipy.spatial.transform import Rotation

    q = values[:, [1, 2, 3, 0]] if p.quaternion_order == "wxyz" else values
    pose, out = Rotation.identity(), np.zeros((n, 3))
    for t in range(n):
        out[t] = pose.as_euler("xyz")
        if np.linalg.norm(q[t]) > 0:
            pose = Rotation.from_quat(q[t]) * pose
    return out.astype(source.dtype)


@cache
def arm_model(kinematics: str, ee_link: str | None):
    """The kinematic model an arm names: a built-in one by name, else a URDF file (loaded once
    per worker)."""
    from ecot_annotate.kinematics import KinematicModel
    from ecot_annotate.kinematics.catalog import BUILTIN_ARMS

    if kinematics in BUILTIN_ARMS:
        return KinematicModel.builtin(kinematics)
    return KinematicModel.load(kinematics, ee_link)


def model_source(arm: ArmProfile, model_name: str, approximate: bool) -> str:
    """What the provenance says of a track made by forward kinematics."""
    units = f"{arm.joint_units} mode" if arm.joint_units == "range" else arm.joint_units
    return f"forward kinematics ({model_name}, {units}{': approximate' if approximate else ''})"


def arm_track(arm: ArmProfile, state: np.ndarray) -> ArmTrack:
    """One arm's track from (T, S) joint-position states."""
    values = state[:, list(arm.joint_indices)].astype(np.float64)
    gripper = np.zeros(len(state), dtype=state.dtype)
    raw = arm.grip(state)
    if raw is not None:
        gripper = raw if arm.gripper_open_is_high else -raw
    joints = values / FULL_TURN[arm.joint_units]
    if arm.kinematics is None:
        return ArmTrack(arm.name, None, None, gripper, joints, NO_MODEL)
    from ecot_annotate.kinematics.units import to_radians

    model = arm_model(arm.kinematics, arm.ee_link)
    radians, approximate = to_radians(values, arm.joint_units, model)
    xyz, rpy = model.fk(radians)
    source = model_source(arm, model.name, approximate)
    return ArmTrack(
        arm.name, xyz.astype(state.dtype), rpy.astype(state.dtype), gripper, joints, source
    )


def pose_track(profile: DatasetProfile, state: np.ndarray, action: np.ndarray) -> ArmTrack:
    """The single end-effector pose a Cartesian profile names, as the one arm `arm`."""
    p = profile
    source = action if p.motion_from.in_action else state
    n = len(source)
    xyz = np.zeros((n, 3), dtype=source.dtype)
    if len(p.xyz_indices) == 3:
        xyz = source[:, list(p.xyz_indices)]
    elif p.xyz_indices:  # planar: x, y and a constant height
        xyz[:, : len(p.xyz_indices)] = source[:, list(p.xyz_indices)]
    if p.motion_from.integrated:
        xyz = _integrate(xyz).astype(source.dtype)
    rotation = _rotation(p, source, p.motion_from.integrated)
    if p.gripper_from == "none" or p.gripper_index is None:
        gripper = np.zeros(n, dtype=source.dtype)
    else:
        values = (state if p.gripper_from == "state" else action)[:, p.gripper_index]
        gripper = values if p.gripper_open_is_high else -values
    return ArmTrack(SINGLE_ARM, xyz, rotation, gripper, None, p.motion_from.label)


def arm_tracks(
    profile: DatasetProfile, state: np.ndarray, action: np.ndarray
) -> tuple[ArmTrack, ...]:
    """Every arm's track the profile describes, from (T, S) state and (T, A) action arrays."""
    if profile.motion_from.per_arm:
        return tuple(arm_track(arm, state) for arm in profile.arms)
    return (pose_track(profile, state, action),)


def episode_arms(
    profile: DatasetProfile, state: np.ndarray, action: np.ndarray, key: str
) -> tuple[ArmTrack, ...]:
    """The profile's arms, or an EpisodeError when this episode is too narrow."""
    try:
        return arm_tracks(profile, state, action)
    except IndexError:
        raise EpisodeError(
            "decode",
            f"episode {key}: state has shape {state.shape} and action {action.shape}; "
            f"profile '{profile.name}' reads indices past their end",
        ) from None
