# Long file: eight feature specs side by side, each next to the episode it writes.
"""Tiny RLDS datasets in the layouts of real Open X-Embodiment datasets.

Key names, shapes, dtypes and (where the card has one) descriptions follow each dataset's
published TFDS feature spec; images shrink to a few dozen pixels and episodes to a dozen steps of
real motion: reach down, close the gripper, lift and carry sideways while turning. They cover
what new datasets throw at the annotator: dict actions, a quaternion state, a joint-only state,
the instruction inside `observation` or as code points, no `episode_metadata`, several cameras,
float32 and int32 depth, a uint16 depth image.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.support.datasets import write_rlds

PX = 32  # image side: tiny, the layouts are what matter here
EMBED = 512
ACTION_DOC_HYDRA = (
    "Robot action, consists of [3x EEF positional delta, 3x EEF orientation delta in euler "
    "angle, 1x close gripper]."
)
STATE_DOC_HYDRA = (
    "Robot state, consists of [3x EEF position,4x EEF orientation in quaternion,3x EEF "
    "orientation in euler angle,7x robot joint angles, 7x robot joint velocities,3x gripper state."
)
ROBOT_OBS_DOC_TACO = (
    "EE position (3), EE orientation in euler angles (3), gripper width (1), joint positions "
    "(7), gripper action (1)"
)
STATE_DOC_TOTO = (
    "numpy array of shape (7,). Contains the robot joint states (as absolute joint angles) at "
    "each timestep"
)
STATE_DOC_UR5 = (
    "Explanation of the robot state can be found at https://sites.google.com/corp/view/berkeley-ur5"
)
ACTION_DOC_NYU = (
    "Robot action, consists of [7x joint velocities, 3x EE delta xyz, 3x EE delta rpy, 1x "
    "gripper position, 1x terminate episode]."
)
ACTION_DOC_MANISKILL = (
    "Robot action, consists of [3x end effector delta target position, 3x end effector delta "
    "target orientation in axis-angle format, 1x gripper target position (mimic for two fingers)]."
)


@dataclass
class Motion:
    """One episode's end-effector track and the commands that produce it."""

    xyz: np.ndarray  # (T, 3)
    rpy: np.ndarray  # (T, 3)
    opening: np.ndarray  # (T,) 1 open .. 0 closed
    dxyz: np.ndarray  # (T, 3) xyz[t+1] - xyz[t], 0 at the end
    drpy: np.ndarray  # (T, 3)
    instruction: str


def motion(index: int, steps: int, rng: np.random.Generator) -> Motion:
    side = 1.0 if index % 2 == 0 else -1.0
    dxyz, drpy, opening = np.zeros((steps, 3)), np.zeros((steps, 3)), np.ones(steps)
    for t in range(steps - 1):
        if t < 4:
            dxyz[t] = [0.0, 0.0, -0.035]
        elif t >= 6:
            dxyz[t] = [0.01, side * 0.035, 0.02]
            drpy[t] = [0.0, 0.0, side * 0.12]
        opening[t] = 1.0 if t < 4 else 0.5 if t == 4 else 0.0
    opening[-1] = opening[-2]
    start = np.array([0.3, rng.uniform(-0.05, 0.05), 0.2])
    xyz = start + np.vstack([np.zeros(3), np.cumsum(dxyz[:-1], axis=0)])
    rpy = np.array([np.pi, 0.0, 0.1]) + np.vstack([np.zeros(3), np.cumsum(drpy[:-1], axis=0)])
    where = "left" if side > 0 else "right"
    return Motion(xyz, rpy, opening, dxyz, drpy, f"put the block on the {where}")


def quaternion(rpy: np.ndarray, order: str = "xyzw") -> np.ndarray:
    from scipy.spatial.transform import Rotation

    q = Rotation.from_euler("xyz", rpy).as_quat()
    return q[:, [3, 0, 1, 2]] if order == "wxyz" else q


def frames(m: Motion, shape: tuple[int, int, int], rng: np.random.Generator) -> list[np.ndarray]:
    """A moving square on noise: a different, decodable picture every step."""
    h, w, c = shape
    out = []
    for t in range(len(m.xyz)):
        img = rng.integers(0, 60, size=(h, w, c), dtype=np.uint8)
        y = int(np.clip((0.35 - m.xyz[t, 2]) * h * 2, 0, h - 6))
        x = int(np.clip((m.xyz[t, 1] + 0.3) * w, 0, w - 6))
        img[y : y + 6, x : x + 6] = (200, 40, 40)[:c]
        out.append(img)
    return out


def _f32(*values) -> np.ndarray:
    return np.asarray(np.concatenate([np.ravel(v) for v in values]), dtype=np.float32)


def _flags(t: int, n: int) -> dict:
    return {"is_first": t == 0, "is_last": t == n - 1, "is_terminal": t == n - 1}


def _text(m: Motion) -> dict:
    return {
        "natural_language_embedding": np.zeros(EMBED, np.float32),
        "natural_language_instruction": m.instruction,
    }


@dataclass(frozen=True)
class Layout:
    name: str  # dataset_info.json name, as the built-in profile is named
    features: Callable[[], object]  # -> tfds.features.FeaturesDict
    episode: Callable[[int, int, np.random.Generator], dict]  # (index, steps, rng) -> example


def _tfds():
    import tensorflow_datasets as tfds

    return tfds.features


def _rgb(h: int = PX, w: int = PX):
    return _tfds().Image(shape=(h, w, 3), dtype=np.uint8, encoding_format="jpeg")


def _t(shape, dtype=np.float32, doc: str | None = None):
    return _tfds().Tensor(shape=shape, dtype=dtype, doc=doc)


def _scalar(dtype=np.float32):
    return _tfds().Scalar(dtype=dtype)


def _oxe_steps(action: dict, observation: dict):
    """The common OXE step: a dict action, a dict observation and a reward."""
    f = _tfds()
    step = {"action": f.FeaturesDict(action), "observation": f.FeaturesDict(observation)}
    return _steps({**step, "reward": _scalar()})


def _steps(step: dict, episode: dict | None = None):
    f = _tfds()
    spec = {
        "steps": f.Dataset(
            {
                **step,
                "is_first": _scalar(np.bool_),
                "is_last": _scalar(np.bool_),
                "is_terminal": _scalar(np.bool_),
            }
        )
    }
    if episode:
        spec["episode_metadata"] = f.FeaturesDict(episode)
    return f.FeaturesDict(spec)


def _language(step: dict) -> dict:
    return {
        **step,
        "natural_language_embedding": _t((EMBED,)),
        "natural_language_instruction": _tfds().Text(),
    }


def _closing(m: Motion, t: int) -> float:
    """+1 while the gripper closes, -1 while it opens, 0 otherwise (OXE closedness actions)."""
    nxt = m.opening[min(t + 1, len(m.opening) - 1)]
    return float(np.sign(m.opening[t] - nxt))


def _rt1_action(terminate: object, **gripper: object) -> dict:
    """The RT-1 action dict that ur5, fractal and toto share: end-effector deltas and the episode's
    end, next to each dataset's own gripper (and base) keys."""
    return {
        **gripper,
        "rotation_delta": _t((3,)),
        "terminate_episode": terminate,
        "world_vector": _t((3,)),
    }


def _rt1_action_values(m: Motion, t: int, terminate: object, **gripper: object) -> dict:
    """One step of that action: the motion's deltas at `t`."""
    return {
        **gripper,
        "rotation_delta": _f32(m.drpy[t]),
        "terminate_episode": terminate,
        "world_vector": _f32(m.dxyz[t]),
    }


# berkeley_autolab_ur5: dict action, 15-value state with a quaternion, instruction in
# observation, no episode_metadata, a wrist camera and a float32 depth image.
def _ur5_features():
    f = _tfds()
    observation = _language(
        {
            "hand_image": _rgb(),
            "image": _rgb(),
            "image_with_depth": f.Image(shape=(PX, PX, 1), dtype=np.float32),
            "robot_state": _t((15,), doc=STATE_DOC_UR5),
        }
    )
    action = _rt1_action(_scalar(), gripper_closedness_action=_scalar())
    return _oxe_steps(action, observation)


def _ur5_episode(index: int, n: int, rng: np.random.Generator) -> dict:
    m = motion(index, n, rng)
    quat, front, wrist = quaternion(m.rpy), frames(m, (PX, PX, 3), rng), frames(m, (PX, PX, 3), rng)
    steps = []
    for t in range(n):
        joints = rng.normal(0, 0.5, 6)
        state = _f32(joints, m.xyz[t], quat[t], 1.0 - m.opening[t], 0.0)
        steps.append(
            {
                "action": _rt1_action_values(
                    m, t, float(t == n - 1), gripper_closedness_action=_closing(m, t)
                ),
                "observation": {
                    **_text(m),
                    "hand_image": wrist[t],
                    "image": front[t],
                    "image_with_depth": rng.uniform(0.2, 2.0, (PX, PX, 1)).astype(np.float32),
                    "robot_state": state,
                },
                "reward": float(t == n - 1),
                **_flags(t, n),
            }
        )
    return {"steps": steps}


# fractal20220817_data (RT-1): dict action with base motion, state split over two keys
# (xyz + xyzw quaternion, and gripper_closed), instruction in observation.
def _fractal_features():
    observation = _language(
        {
            "base_pose_tool_reached": _t((7,)),
            "gripper_closed": _t((1,)),
            "gripper_closedness_commanded": _t((1,)),
            "height_to_bottom": _t((1,)),
            "image": _rgb(PX, 40),
            "orientation_start": _t((4,)),
            "src_rotation": _t((4,)),
            "vector_to_go": _t((3,)),
            "workspace_bounds": _t((3, 3)),
        }
    )
    action = _rt1_action(
        _t((3,), np.int32),
        base_displacement_vector=_t((2,)),
        base_displacement_vertical_rotation=_t((1,)),
        gripper_closedness_action=_t((1,)),
    )
    return _oxe_steps(action, observation)


def _fractal_episode(index: int, n: int, rng: np.random.Generator) -> dict:
    m = motion(index, n, rng)
    quat, images = quaternion(m.rpy), frames(m, (PX, 40, 3), rng)
    steps = []
    for t in range(n):
        closed = 1.0 - m.opening[t]
        steps.append(
            {
                "action": _rt1_action_values(
                    m,
                    t,
                    np.array([int(t == n - 1), int(t < n - 1), 0], np.int32),
                    base_displacement_vector=np.zeros(2, np.float32),
                    base_displacement_vertical_rotation=np.zeros(1, np.float32),
                    gripper_closedness_action=_f32(_closing(m, t)),
                ),
                "observation": {
                    **_text(m),
                    "base_pose_tool_reached": _f32(m.xyz[t], quat[t]),
                    "gripper_closed": _f32(closed),
                    "gripper_closedness_commanded": _f32(closed),
                    "height_to_bottom": _f32(m.xyz[t, 2]),
                    "image": images[t],
                    "orientation_start": _f32(quat[0]),
                    "src_rotation": _f32(quat[0]),
                    "vector_to_go": _f32(m.xyz[-1] - m.xyz[t]),
                    "workspace_bounds": np.eye(3, dtype=np.float32),
                },
                "reward": float(t == n - 1),
                **_flags(t, n),
            }
        )
    return {"steps": steps}


# toto: joint angles only, dict action with a boolean open_gripper.
def _toto_features():
    observation = _language({"image": _rgb(), "state": _t((7,), doc=STATE_DOC_TOTO)})
    action = _rt1_action(_scalar(), open_gripper=_scalar(np.bool_))
    return _oxe_steps(action, observation)


def _toto_episode(index: int, n: int, rng: np.random.Generator) -> dict:
    m = motion(index, n, rng)
    images = frames(m, (PX, PX, 3), rng)
    joints = np.cumsum(rng.normal(0, 0.05, (n, 7)), axis=0)
    return {
        "steps": [
            {
                "action": _rt1_action_values(
                    m, t, float(t == n - 1), open_gripper=bool(m.opening[min(t + 1, n - 1)] > 0.5)
                ),
                "observation": {**_text(m), "image": images[t], "state": _f32(joints[t])},
                "reward": float(t == n - 1),
                **_flags(t, n),
            }
            for t in range(n)
        ]
    }


# language_table: planar xy state, 2-value action, instruction as 0-padded code points.
def _language_table_features():
    observation = {
        "effector_target_translation": _t((2,)),
        "effector_translation": _t((2,)),
        "instruction": _t((EMBED,), np.int32),
        "rgb": _rgb(PX, 56),
    }
    f = _tfds()
    return _steps(
        {"action": _t((2,)), "observation": f.FeaturesDict(observation), "reward": _scalar()}
    )


def _codes(text: str) -> np.ndarray:
    out = np.zeros(EMBED, np.int32)
    out[: len(text)] = [ord(c) for c in text]
    return out


def _language_table_episode(index: int, n: int, rng: np.random.Generator) -> dict:
    m = motion(index, n, rng)
    images = frames(m, (PX, 56, 3), rng)
    xy = m.xyz[0, :2] + np.outer(np.arange(n), [0.04, 0.01 if index % 2 else -0.01])
    return {
        "steps": [
            {
                "action": _f32(xy[min(t + 1, n - 1)] - xy[t]),
                "observation": {
                    "effector_target_translation": _f32(xy[-1]),
                    "effector_translation": _f32(xy[t]),
                    "instruction": _codes(f"push the red block {'up' if index % 2 else 'forward'}"),
                    "rgb": images[t],
                },
                "reward": float(t == n - 1),
                **_flags(t, n),
            }
            for t in range(n)
        ]
    }


# taco_play: robot_obs with a documented layout, a dict of three 7-value actions, two cameras,
# float32 depth stored as plain tensors, a second (structured) instruction.
def _taco_features():
    f = _tfds()
    observation = _language(
        {
            "depth_gripper": _t((PX, PX)),
            "depth_static": _t((PX, 40)),
            "rgb_gripper": _rgb(),
            "rgb_static": _rgb(PX, 40),
            "robot_obs": _t((15,), doc=ROBOT_OBS_DOC_TACO),
            "structured_language_instruction": f.Text(),
        }
    )
    action = {
        "actions": _t((7,)),
        "rel_actions_gripper": _t((7,)),
        "rel_actions_world": _t((7,)),
        "terminate_episode": _scalar(),
    }
    return _oxe_steps(action, observation)


def _taco_episode(index: int, n: int, rng: np.random.Generator) -> dict:
    m = motion(index, n, rng)
    static, gripper = frames(m, (PX, 40, 3), rng), frames(m, (PX, PX, 3), rng)
    steps = []
    for t in range(n):
        grip = 1.0 if m.opening[min(t + 1, n - 1)] < 0.5 else -1.0  # -1 open, 1 close
        rel = _f32(m.dxyz[t], m.drpy[t], grip)
        steps.append(
            {
                "action": {
                    "actions": _f32(m.xyz[min(t + 1, n - 1)], m.rpy[min(t + 1, n - 1)], grip),
                    "rel_actions_gripper": rel,
                    "rel_actions_world": rel,
                    "terminate_episode": float(t == n - 1),
                },
                "observation": {
                    **_text(m),
                    "depth_gripper": rng.uniform(0, 1, (PX, PX)).astype(np.float32),
                    "depth_static": rng.uniform(0, 3, (PX, 40)).astype(np.float32),
                    "rgb_gripper": gripper[t],
                    "rgb_static": static[t],
                    "robot_obs": _f32(m.xyz[t], m.rpy[t], 0.08 * m.opening[t], np.zeros(7), grip),
                    "structured_language_instruction": "move_slider_left",
                },
                "reward": float(t == n - 1),
                **_flags(t, n),
            }
        )
    return {"steps": steps}


def _oxe_step_language(step: dict) -> dict:
    """Step-level language of the `converted_externally` datasets."""
    f = _tfds()
    return {
        **step,
        "language_embedding": _t((EMBED,)),
        "language_instruction": f.Text(),
        "discount": _scalar(),
    }


# nyu_franka_play: 13-value state (joints, then xyz + rpy), 15-value action, int32 depth
# tensors, two cameras, episode_metadata with a file_path only.
def _nyu_features():
    f = _tfds()
    observation = {
        "depth": _t((PX, PX, 1), np.int32),
        "depth_additional_view": _t((PX, PX, 1), np.int32),
        "image": _rgb(),
        "image_additional_view": _rgb(),
        "state": _t((13,)),
    }
    step = _oxe_step_language(
        {
            "action": _t((15,), doc=ACTION_DOC_NYU),
            "observation": f.FeaturesDict(observation),
            "reward": _scalar(),
        }
    )
    return _steps(step, {"file_path": f.Text()})


def _nyu_episode(index: int, n: int, rng: np.random.Generator) -> dict:
    m = motion(index, n, rng)
    right, left = frames(m, (PX, PX, 3), rng), frames(m, (PX, PX, 3), rng)
    steps = []
    for t in range(n):
        action = _f32(
            rng.normal(0, 0.1, 7), m.dxyz[t], m.drpy[t], m.opening[min(t + 1, n - 1)], t == n - 1
        )
        steps.append(
            {
                "action": action,
                "discount": 1.0,
                "language_embedding": np.zeros(EMBED, np.float32),
                "language_instruction": m.instruction,
                "observation": {
                    "depth": rng.integers(0, 4000, (PX, PX, 1), dtype=np.int32),
                    "depth_additional_view": rng.integers(0, 4000, (PX, PX, 1), dtype=np.int32),
                    "image": right[t],
                    "image_additional_view": left[t],
                    "state": _f32(rng.normal(0, 0.5, 7), m.xyz[t], m.rpy[t]),
                },
                "reward": float(t == n - 1),
                **_flags(t, n),
            }
        )
    return {
        "episode_metadata": {"file_path": f"/data/play/train/traj_{index:04d}.pkl"},
        "steps": steps,
    }


# stanford_hydra: a documented 27-value state (quaternion and euler both), step-level language.
def _hydra_features():
    f = _tfds()
    observation = {
        "image": _rgb(PX, 40),
        "state": _t((27,), doc=STATE_DOC_HYDRA),
        "wrist_image": _rgb(PX, 40),
    }
    step = _oxe_step_language(
        {
            "action": _t((7,), doc=ACTION_DOC_HYDRA),
            "is_dense": _scalar(np.bool_),
            "observation": f.FeaturesDict(observation),
            "reward": _scalar(),
        }
    )
    return _steps(step, {"file_path": f.Text()})


def _hydra_episode(index: int, n: int, rng: np.random.Generator) -> dict:
    m = motion(index, n, rng)
    quat, front, wrist = quaternion(m.rpy), frames(m, (PX, 40, 3), rng), frames(m, (PX, 40, 3), rng)
    steps = []
    for t in range(n):
        state = _f32(m.xyz[t], quat[t], m.rpy[t], np.zeros(14), m.opening[t], 0.0, 0.0)
        close = float(m.opening[min(t + 1, n - 1)] < 0.5)
        steps.append(
            {
                "action": _f32(m.dxyz[t], m.drpy[t], close),
                "discount": 1.0,
                "is_dense": True,
                "language_embedding": np.zeros(EMBED, np.float32),
                "language_instruction": m.instruction,
                "observation": {"image": front[t], "state": state, "wrist_image": wrist[t]},
                "reward": float(t == n - 1),
                **_flags(t, n),
            }
        )
    return {"episode_metadata": {"file_path": f"/hydra/demo_{index}.hdf5"}, "steps": steps}


# maniskill: tcp_pose with a w-first quaternion, uint16 depth images, camera matrices, text ids.
def _maniskill_features():
    f = _tfds()
    depth = f.Image(shape=(PX, PX, 1), dtype=np.uint16)
    observation = {
        "base_pose": _t((7,)),
        "depth": depth,
        "image": _rgb(),
        "main_camera_cam2world_gl": _t((4, 4)),
        "main_camera_extrinsic_cv": _t((4, 4)),
        "main_camera_intrinsic_cv": _t((3, 3)),
        "state": _t((18,)),
        "target_object_or_part_final_pose": _t((7,)),
        "target_object_or_part_final_pose_valid": _t((7,), np.uint8),
        "target_object_or_part_initial_pose": _t((7,)),
        "target_object_or_part_initial_pose_valid": _t((7,), np.uint8),
        "tcp_pose": _t((7,)),
        "wrist_depth": f.Image(shape=(PX, PX, 1), dtype=np.uint16),
        "wrist_image": _rgb(),
    }
    step = _oxe_step_language(
        {
            "action": _t((7,), doc=ACTION_DOC_MANISKILL),
            "observation": f.FeaturesDict(observation),
            "reward": _scalar(),
        }
    )
    return _steps(step, {"episode_id": f.Text(), "file_path": f.Text()})


def _maniskill_episode(index: int, n: int, rng: np.random.Generator) -> dict:
    m = motion(index, n, rng)
    quat, front, wrist = (
        quaternion(m.rpy, "wxyz"),
        frames(m, (PX, PX, 3), rng),
        frames(m, (PX, PX, 3), rng),
    )
    pose = np.array([0, 0, 0, 1, 0, 0, 0], np.float32)
    steps = []
    for t in range(n):
        fingers = 0.04 * m.opening[t]
        state = _f32(rng.normal(0, 0.3, 7), fingers, fingers, np.zeros(9))
        steps.append(
            {
                "action": _f32(
                    m.dxyz[t] * 10,
                    m.drpy[t] * 10,
                    1.0 if m.opening[min(t + 1, n - 1)] > 0.5 else -1.0,
                ),
                "discount": 1.0,
                "language_embedding": np.zeros(EMBED, np.float32),
                "language_instruction": m.instruction,
                "observation": {
                    "base_pose": pose,
                    "depth": rng.integers(0, 2**12, (PX, PX, 1), dtype=np.uint16),
                    "image": front[t],
                    "main_camera_cam2world_gl": np.eye(4, dtype=np.float32),
                    "main_camera_extrinsic_cv": np.eye(4, dtype=np.float32),
                    "main_camera_intrinsic_cv": np.eye(3, dtype=np.float32),
                    "state": state,
                    "target_object_or_part_final_pose": pose,
                    "target_object_or_part_final_pose_valid": np.ones(7, np.uint8),
                    "target_object_or_part_initial_pose": pose,
                    "target_object_or_part_initial_pose_valid": np.ones(7, np.uint8),
                    "tcp_pose": _f32(m.xyz[t], quat[t]),
                    "wrist_depth": rng.integers(0, 2**12, (PX, PX, 1), dtype=np.uint16),
                    "wrist_image": wrist[t],
                },
                "reward": float(t == n - 1),
                **_flags(t, n),
            }
        )
    metadata = {"episode_id": str(index), "file_path": "PickCube-v0/trajectory.h5"}
    return {"episode_metadata": metadata, "steps": steps}


LAYOUTS = {
    layout.name: layout
    for layout in (
        Layout("berkeley_autolab_ur5", _ur5_features, _ur5_episode),
        Layout("fractal20220817_data", _fractal_features, _fractal_episode),
        Layout("toto", _toto_features, _toto_episode),
        Layout("language_table", _language_table_features, _language_table_episode),
        Layout("taco_play", _taco_features, _taco_episode),
        Layout("nyu_franka_play_dataset_converted_externally_to_rlds", _nyu_features, _nyu_episode),
        Layout(
            "stanford_hydra_dataset_converted_externally_to_rlds", _hydra_features, _hydra_episode
        ),
        Layout(
            "maniskill_dataset_converted_externally_to_rlds",
            _maniskill_features,
            _maniskill_episode,
        ),
    )
}


def write_layout(
    name: str,
    folder: Path,
    episodes: int = 2,
    steps: int = 12,
    seed: int = 0,
    edit=None,
    dataset_name: str | None = None,
) -> Path:
    """Write a TFDS folder `folder/NAME/0.1.0` in the named layout; `edit(examples)` may alter
    the example dicts first (to build bad input), `dataset_name` names the dataset otherwise (so
    no built-in profile matches it). Returns the version folder."""
    layout = LAYOUTS[name]
    rng = np.random.default_rng(seed)
    examples = [layout.episode(i, steps, rng) for i in range(episodes)]
    if edit is not None:
        edit(examples)
    return write_rlds(folder, examples, dataset_name or name, layout.features(), "0.1.0")
