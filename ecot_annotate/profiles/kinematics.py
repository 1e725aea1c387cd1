"""The end-effector track (xyz, roll/pitch/yaw, gripper) that a profile reads from an episode.

A state with an end-effector pose gives the track directly. A state of joint angles only has no
pose: the track is then integrated from the action's deltas (or read from an absolute pose in the
action), and `source` says so, so every output can tell which one it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecot_annotate.errors import EpisodeError
from ecot_annotate.profiles.model import DatasetProfile

SOURCES = {
    "state": "state",
    "action_deltas": "integrated action deltas",
    "action_pose": "action pose",
}


@dataclass(frozen=True)
class EndEffectorTrack:
    xyz: np.ndarray  # (T, 3); zeros where the profile names no position
    rotation: np.ndarray  # (T, 3) roll, pitch, yaw; zeros where it names no rotation
    gripper: np.ndarray  # (T,) larger = more open; zeros where there is no gripper value
    source: str  # "state", "integrated action deltas" or "action pose"

    def episode_fields(self) -> dict:
        """The Episode fields this track fills."""
        return {
            "xyz": self.xyz,
            "rotation": self.rotation,
            "gripper": self.gripper,
            "motion_source": self.source,
        }


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


def end_effector_track(
    profile: DatasetProfile, state: np.ndarray, action: np.ndarray
) -> EndEffectorTrack:
    """Read the track the profile describes from (T, S) state and (T, A) action arrays."""
    p = profile
    source = state if p.motion_from == "state" else action
    integrate = p.motion_from == "action_deltas"
    n = len(source)
    xyz = np.zeros((n, 3), dtype=source.dtype)
    if len(p.xyz_indices) == 3:
        xyz = source[:, list(p.xyz_indices)]
    elif p.xyz_indices:  # planar: x, y and a constant height
        xyz[:, : len(p.xyz_indices)] = source[:, list(p.xyz_indices)]
    if integrate:
        xyz = _integrate(xyz).astype(source.dtype)
    rotation = _rotation(p, source, integrate)
    if p.gripper_from == "none" or p.gripper_index is None:
        gripper = np.zeros(n, dtype=source.dtype)
    else:
        values = (state if p.gripper_from == "state" else action)[:, p.gripper_index]
        gripper = values if p.gripper_open_is_high else -values
    return EndEffectorTrack(xyz, rotation, gripper, SOURCES[p.motion_from])


def episode_track(
    profile: DatasetProfile, state: np.ndarray, action: np.ndarray, key: str
) -> EndEffectorTrack:
    """The profile's end-effector track, or an EpisodeError when this episode is too narrow."""
    try:
        return end_effector_track(profile, state, action)
    except IndexError:
        raise EpisodeError(
            "decode",
            f"episode {key}: state has shape {state.shape} and action {action.shape}; "
            f"profile '{profile.name}' reads indices past their end",
        ) from None
