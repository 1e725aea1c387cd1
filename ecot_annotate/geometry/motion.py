"""Motion primitives from proprioception, with ECoT's semantics.

For each step, the end-effector's change over a short look-ahead window of states is thresholded
per axis and named: +x/-x forward/backward, +y/-y left/right, +z/-z up/down, roll or pitch tilt
up/down, yaw rotate counterclockwise/clockwise, gripper open/close. No motion gives ``stop``.
"""

from __future__ import annotations

import numpy as np

from ecot_annotate.config import MotionConfig

ECOT_MOTION = MotionConfig()  # ECoT's thresholds

STOP = "stop"
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
    """One primitive per step; the last step repeats the one before it (it has no future)."""
    state = np.concatenate([xyz, rotation, np.asarray(gripper)[:, None]], axis=1).astype(np.float64)
    n = len(state)
    if n == 0:
        return []
    if n == 1:
        return [STOP]
    names = []
    for t in range(n - 1):
        window = state[t : t + config.window]
        delta = window[-1] - window[0]
        delta[3:6] = (delta[3:6] + np.pi) % (2 * np.pi) - np.pi  # angles wrap
        names.append(classify(delta, config))
    names.append(names[-1])
    return names


def event_lead(window: int) -> int:
    """Steps from the first primitive that names a gripper change to the step the change starts.

    A primitive looks `window` states ahead, so a change that starts at step c (state c+1 differs
    from state c) is first named at step c + 2 - window.
    """
    return max(0, window - 2)


def gripper_events(prims: list[str], lead: int = 0) -> list[tuple[int, str]]:
    """Steps where the gripper starts to close or open: (step, 'close'|'open').

    A run of 'close gripper' / 'open gripper' primitives starts `lead` steps (see `event_lead`)
    before the gripper moves; the event is placed that far into the run, never past its end.
    """
    events: list[tuple[int, str]] = []
    previous, start = None, 0
    for t, name in enumerate([*prims, ""]):
        kind = "close" if "close gripper" in name else "open" if "open gripper" in name else None
        if kind != previous:
            if previous:
                events.append((min(start + lead, t - 1), previous))
            start = t
        previous = kind
    return events
