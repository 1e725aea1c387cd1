"""Joint angles that put an arm's end effector on a scripted path: damped least squares on pinocchio's
forward kinematics.

The generated joint-space samples script the gripper in Cartesian space (as the RLDS sample does)
and record what an arm would have to do to follow it. Position is the task; the orientation of a
fixed "tool pointing down and forward" pose is a soft second task, so a five-joint arm keeps its
wrist pitch and the yaw of the gripper steady instead of folding up, and a pull towards a rest
pose settles the joints the tasks leave free. Each step starts from the previous step's solution,
so the joints move smoothly.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from ecot_annotate.kinematics import KinematicModel

_STEP = 1e-6  # radians: finite-difference step of the Jacobian
_DAMPING = 1e-4
_ITERATIONS = 30
_ORIENTATION_WEIGHT = 0.05  # metres of position error one radian of orientation error is worth
_REST_WEIGHT = 1e-3


def pointing_down(model: KinematicModel, pitch: float) -> np.ndarray:
    """The end effector's orientation at the zero pose, pitched `pitch` radians down about the
    base's y axis: the tool orientation the IK keeps as its soft second task."""
    _, rpy = model.fk(np.zeros((1, len(model.joint_names))))
    zero = Rotation.from_euler("xyz", rpy[0])
    return (Rotation.from_euler("y", pitch) * zero).as_matrix()


def _residual(
    model: KinematicModel, q: np.ndarray, target: np.ndarray, tool: np.ndarray, rest: np.ndarray
) -> np.ndarray:
    """Per row of `q` (k, n): position error, weighted orientation error, weighted rest pull."""
    xyz, rpy = model.fk(q)
    turn = Rotation.from_matrix(tool.T @ Rotation.from_euler("xyz", rpy).as_matrix()).as_rotvec()
    return np.hstack([xyz - target, _ORIENTATION_WEIGHT * turn, _REST_WEIGHT * (q - rest)])


def solve_path(
    model: KinematicModel, path: np.ndarray, tool: np.ndarray, rest: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Joint angles (T, n) in radians for end-effector positions `path` (T, 3) in the model's base
    frame, and each step's position error in metres."""
    n = len(model.joint_names)
    eye = np.eye(n) * _STEP
    q = np.asarray(rest, dtype=float).copy()
    out = np.empty((len(path), n))
    errors = np.empty(len(path))
    for step, target in enumerate(path):
        for _ in range(_ITERATIONS):
            rows = _residual(model, np.vstack([q, q + eye]), target, tool, rest)
            r = rows[0]
            jacobian = ((rows[1:] - r) / _STEP).T
            dq = np.linalg.solve(jacobian.T @ jacobian + _DAMPING * np.eye(n), -jacobian.T @ r)
            q = np.clip(q + dq, model.lower, model.upper)
            if np.abs(dq).max() < 1e-7:
                break
        out[step] = q
        errors[step] = float(np.linalg.norm(model.fk(q[None])[0][0] - target))
    return out, errors
