"""Episodes of robots whose state is joint positions, as LeRobot records them, for tests.

The frames and instructions are the generated sample's; the state is a scripted joint trajectory:
the arm lifts (shoulder_lift), the gripper closes a third of the way in and opens at two thirds.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

SO101 = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
ALOHA = ["waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper"]
SEVEN = [f"joint_{i}" for i in range(1, 8)] + ["gripper"]


def arm_values(n: int, joints: int, scale: float, gripper_open: float, phase: float = 0.0):
    """(n, joints + 1): joint 1 (the shoulder) sweeps 0.6 rad, the others hold; the gripper is
    open, closed from a third of the way, open again from two thirds. `scale`: units per radian."""
    t = np.linspace(0.0, 1.0, n)
    q = np.zeros((n, joints))
    q[:, 1] = -0.6 * np.clip((t - phase) * 1.5, 0, 1)
    q[:, 2] = 0.3
    q[:, -1] = 2.0  # the last joint (a wrist roll) turned: 115 degrees, past LeRobot's range mode
    gripper = np.where((t > 1 / 3) & (t < 2 / 3), 0.0, gripper_open)
    return np.concatenate([q * scale, gripper[:, None]], axis=1).astype(np.float32)


def joint_episodes(episodes, arms: int, joints: int, scale: float, gripper_open: float):
    """The sample's episodes with the state (and action) of `arms` arms of `joints` joints."""
    out = []
    for ep in episodes:
        parts = [arm_values(ep.n_steps, joints, scale, gripper_open, 0.3 * a) for a in range(arms)]
        state = np.concatenate(parts, axis=1)
        out.append(replace(ep, state=state, action=state.copy()))
    return out


def names(joint_names: list[str], sides: tuple[str, ...] = (), suffix: str = ".pos") -> list[str]:
    """lerobot's value names: `shoulder_pan.pos`, or `left_shoulder_pan.pos` for two arms."""
    if not sides:
        return [f"{n}{suffix}" for n in joint_names]
    return [f"{side}_{n}{suffix}" for side in sides for n in joint_names]


def real_state_episodes(root, template):
    """The episodes of a real LeRobot dataset whose videos are not shipped, with its recorded state
    and action and a plain frame per step in place of the missing video (`template`: any Episode
    to copy the other fields from)."""
    import io
    import json

    import pyarrow.parquet as pq
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 150)).save(buffer, format="PNG")
    frame = buffer.getvalue()
    info = json.loads((root / "meta" / "info.json").read_text())
    table = pq.read_table(root / "data" / "chunk-000" / "file-000.parquet")
    episodes = []
    for index in sorted(set(table.column("episode_index").to_pylist())):
        mask = [i == index for i in table.column("episode_index").to_pylist()]
        part = table.filter(mask)
        state = np.asarray(part.column("observation.state").to_pylist(), dtype=np.float32)
        action = np.asarray(part.column("action").to_pylist(), dtype=np.float32)
        n = len(state)
        episodes.append(
            replace(
                template,
                key=f"real/{index}",
                images=[frame] * n,
                image_size=(32, 24),
                state=state,
                action=action,
                is_first=np.arange(n) == 0,
                is_last=np.arange(n) == n - 1,
                is_terminal=np.arange(n) == n - 1,
            )
        )
    names = info["features"]["observation.state"]["names"]
    return episodes, names, info["robot_type"]
