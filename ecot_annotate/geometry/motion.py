"""Motion primitives from proprioception, with ECoT's semantics.

For each step, the end-effector's change over a short look-ahead window of states is thresholded
per axis and named: +x/-x forward/backward, +y/-y left/right, +z/-z up/down, roll or pitch tilt
up/down, yaw rotate counterclockwise/clockwise, gripper open/close. No motion gives ``stop``.
"""

from __future__ import annotations

import numpy as np

from ecot_annotate.config import MotionConfig
from ecot_annotate.episode import ArmTrack

ECOT_MOTION = MotionConfig()  # ECoT's thresholds

STOP = "stop"
MOVE = "move"  # an arm with no kinematic model: its joints turn, the direction is not known
# An arm with no kinematic model moves when one of its joints turns more than this fraction of a
# full turn across the look-ahead window (about 5 degrees; ECoT's 0.03 m at a 0.3 m reach).
JOINT_THRESHOLD = 0.015
_TRANSLATION = (("forward", "backward"), ("left", "right"), ("up", "down"))


def _sign(value: float, threshold: float) -> int:
    return 1 if value > threshold else -1 if value < -threshold else 0


def classify(delta: np.ndarray, config: MotionConfig) -> str:
    """Name one window's change: delta = [dx, dy, dz, droll, dpitch, dyaw, dgripper]."""
    move = np.asarray(delta, dtype=np.float64).copy()
    cap = 3 * config.translation_threshold
    total = float(np.abs(move[:3]).sum())
    if config.cap_translation and total > cap:
        move[:3] *= cap / total
    axes = [_sign(v, config.translation_threshold) for v in move[:3]]
    words = [
        names[0] if s > 0 else names[1] for s, names in zip(axes, _TRANSLATION, strict=True) if s
    ]
    parts = ["move " + " ".join(words)] if words else []
    tilt = _sign(move[3], config.rotation_threshold) or _sign(move[4], config.rotation_threshold)
    if tilt:
        parts.append("tilt up" if tilt > 0 else "tilt down")
    yaw = _sign(move[5], config.rotation_threshold)
    if yaw:
        parts.append("rotate counterclockwise" if yaw > 0 else "rotate clockwise")
    grip = _sign(move[6], config.gripper_threshold)
    if grip:
        parts.append("open gripper" if grip > 0 else "close gripper")
    return ", ".join(parts) if parts else STOP


def _per_window(state: np.ndarray, window: int, name) -> list[str]:
    """name(change across the look-ahead window) per step; the last step repeats the one before
    it (it has no future)."""
    n = len(state)
    if n == 0:
        return []
    if n == 1:
        return [STOP]
    names = [name(state[t : t + window][-1] - state[t]) for t in range(n - 1)]
    names.append(names[-1])
    return names


def primitive_words(config: MotionConfig = ECOT_MOTION) -> frozenset[str]:
    """Every word a primitive name can hold, found by naming a change along each axis each way.

    Text checks use it to tell a sentence from a list of move names without a second copy of
    the names.
    """
    names = [STOP]
    for axis in range(7):
        for sign in (1.0, -1.0):
            delta = np.zeros(7)
            delta[axis] = sign * 10.0
            names.append(classify(delta, config))
    return frozenset(word for name in names for word in name.replace(",", " ").split())


def primitives(
    xyz: np.ndarray,
    rotation: np.ndarray,
    gripper: np.ndarray,
    config: MotionConfig = ECOT_MOTION,
) -> list[str]:
    """One primitive per step from the end-effector track."""
    state = np.concatenate([xyz, rotation, np.asarray(gripper)[:, None]], axis=1).astype(np.float64)

    def name(delta: np.ndarray) -> str:
        delta[3:6] = (delta[3:6] + np.pi) % (2 * np.pi) - np.pi  # angles wrap
        return classify(delta, config)

    return _per_window(state, config.window, name)


def joint_primitives(
    joints: np.ndarray, gripper: np.ndarray, config: MotionConfig = ECOT_MOTION
) -> list[str]:
    """One primitive per step for an arm with no kinematic model: `move` while a joint turns
    (joints in turns), `stop` otherwise, and the gripper's open/close as for any arm."""
    state = np.concatenate([joints, np.asarray(gripper)[:, None]], axis=1).astype(np.float64)

    def name(delta: np.ndarray) -> str:
        parts = [MOVE] if np.abs(delta[:-1]).max(initial=0.0) > JOINT_THRESHOLD else []
        grip = _sign(delta[-1], config.gripper_threshold)
        if grip:
            parts.append("open gripper" if grip > 0 else "close gripper")
        return ", ".join(parts) if parts else STOP

    return _per_window(state, config.window, name)


def arm_primitives(arm: ArmTrack, config: MotionConfig = ECOT_MOTION) -> list[str]:
    """One arm's primitive per step: named from its end-effector pose, or move/stop from joint
    speed where no pose is known."""
    if arm.has_pose:
        return primitives(arm.xyz, arm.rotation, arm.gripper, config)
    return joint_primitives(arm.joints, arm.gripper, config)


def episode_primitives(
    arms: tuple[ArmTrack, ...], config: MotionConfig = ECOT_MOTION
) -> dict[str, list[str]]:
    """Every arm's primitives, by arm name, in the episode's arm order."""
    return {arm.name: arm_primitives(arm, config) for arm in arms}


def event_lead(window: int) -> int:
    """Steps from the first primitive that names a gripper change to the step the change starts.

    A primitive looks `window` states ahead, so a change that starts at step c (state c+1 differs
    from state c) is first named at step c + 2 - window.
    """
    return max(0, window - 2)
