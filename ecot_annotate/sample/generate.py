# Long file: scene, trajectory, rendering and RLDS writing of one generated sample share its camera model.
"""A generated RLDS sample in the Bridge layout, with ground truth, for demos and measurements.

Each episode is a scripted pick-and-place on a tabletop: a gripper moves in 3D (reach, grasp,
carry, release, retreat) and is drawn through a known pinhole camera together with a few coloured
objects. Because the scene is synthetic, the true camera matrix, the gripper's pixel position
and every object's box are known and stored with the episode, so perception stages can be
measured against them. Deterministic for a given seed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecot_annotate.llvm_order import load_triton_first
from ecot_annotate.quiet import tfds_quietly
from ecot_annotate.sample.truth import BRIDGE_HZ, Variant, label_features, true_primitives

IMAGE_SIZE = 256
DATASET_NAME = "ecot_sample"
VERSION = "1.0.0"
OBJECTS = (
    ("red block", (200, 40, 40), "box", 0.025),
    ("blue bowl", (40, 70, 200), "disc", 0.045),
    ("green cup", (40, 160, 60), "disc", 0.03),
    ("yellow banana", (230, 200, 40), "box", 0.035),
    ("orange carrot", (240, 120, 20), "box", 0.03),
    ("purple plate", (130, 60, 160), "disc", 0.05),
)
TARGETS = ("blue bowl", "purple plate")


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking at the table from in front of the robot."""

    matrix: np.ndarray  # 3x4 projection P = K [R | t]

    @staticmethod
    def look_at(eye: np.ndarray, target: np.ndarray, focal: float = 330.0) -> Camera:
        forward = (target - eye) / np.linalg.norm(target - eye)
        right = np.cross(forward, np.array([0.0, 0.0, 1.0]))
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        rotation = np.stack([right, down, forward])
        intrinsics = np.array([[focal, 0, IMAGE_SIZE / 2], [0, focal, IMAGE_SIZE / 2], [0, 0, 1]])
        return Camera(intrinsics @ np.hstack([rotation, (-rotation @ eye)[:, None]]))

    def project(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) world points -> (N, 2) pixels."""
        homogeneous = np.hstack([points, np.ones((len(points), 1))]) @ self.matrix.T
        return homogeneous[:, :2] / homogeneous[:, 2:3]


def _segment(start: np.ndarray, end: np.ndarray, speed: float) -> list[np.ndarray]:
    steps = max(1, int(np.ceil(np.linalg.norm(end - start) / speed)))
    return [start + (end - start) * (i / steps) for i in range(1, steps + 1)]


@dataclass
class Script:
    """One scripted pick-and-place: what the robot did, before and after sensor noise."""

    positions: np.ndarray  # (T, 3) metres, with sensor noise
    clean: np.ndarray  # (T, 3) metres, as scripted
    openings: np.ndarray  # (T,) gripper opening, 1 open .. 0 closed
    phases: list[str]  # per step: the phase of the motion from this step to the next


def script_trajectory(
    pick: np.ndarray,
    place: np.ndarray,
    start: np.ndarray,
    rng: np.random.Generator,
    rate: int = 1,
) -> Script:
    """One pick-and-place at `rate` times Bridge's 5 Hz (the same path, `rate` times the steps)."""
    speed = rng.uniform(0.018, 0.026) / rate
    hover, grasp_z, place_z = 0.14, 0.025, 0.06
    path: list[np.ndarray] = [start]
    grip: list[float] = [1.0]
    segment: list[str] = []  # the phase that brought the robot to each point after the start

    def go(target: np.ndarray, opening: float, phase: str) -> None:
        for p in _segment(path[-1], target, speed):
            path.append(p)
            grip.append(opening)
            segment.append(phase)

    def hold(opening: float, phase: str) -> None:
        # The gripper's profile over 3 steps at 5 Hz, sampled `rate` times as often.
        knots = [grip[-1]]
        for i in range(1, 4):
            knots.append(knots[-1] + (opening - knots[-1]) * i / 3 if i < 3 else opening)
        for i in range(1, 3 * rate + 1):
            path.append(path[-1].copy())
            grip.append(float(np.interp(i / rate, range(4), knots)))
            segment.append(phase)

    go(np.array([pick[0], pick[1], hover]), 1.0, "approach")
    go(np.array([pick[0], pick[1], grasp_z]), 1.0, "approach")
    hold(0.0, "grasp")
    go(np.array([pick[0], pick[1], hover]), 0.0, "carry")
    go(np.array([place[0], place[1], hover]), 0.0, "carry")
    go(np.array([place[0], place[1], place_z]), 0.0, "carry")
    hold(1.0, "release")
    go(np.array([place[0], place[1], hover + 0.04]), 1.0, "retreat")
    clean = np.array(path)
    positions = clean + rng.normal(0, 0.0008, (len(path), 3))
    return Script(positions, clean, np.array(grip), [*segment, segment[-1]])


def _object_corners(center: np.ndarray, radius: float, height: float) -> np.ndarray:
    offsets = np.array(
        [
            [dx, dy, dz]
            for dx in (-radius, radius)
            for dy in (-radius, radius)
            for dz in (0.0, height)
        ]
    )
    return center + offsets


def _render(
    camera: Camera,
    objects: list[tuple[str, tuple, str, float, np.ndarray]],
    gripper_xyz: np.ndarray,
    opening: float,
    rng: np.random.Generator,
) -> tuple[bytes, np.ndarray, np.ndarray]:
    """Draw one frame; return JPEG bytes, the gripper's pixel, and each object's box."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), (205, 190, 160))
    draw = ImageDraw.Draw(image)
    table = camera.project(
        np.array([[0.05, -0.35, 0], [0.05, 0.35, 0], [0.6, 0.35, 0], [0.6, -0.35, 0]])
    )
    draw.polygon([tuple(p) for p in table], fill=(170, 140, 100))
    boxes = []
    for _name, color, shape, radius, center in objects:
        corners = camera.project(_object_corners(center, radius, 0.03 if shape == "box" else 0.015))
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        boxes.append([x0, y0, x1, y1])
        if shape == "disc":
            draw.ellipse([x0, y0, x1, y1], fill=color, outline=(30, 30, 30))
        else:
            draw.rectangle([x0, y0, x1, y1], fill=color, outline=(30, 30, 30))
    tip = camera.project(gripper_xyz[None])[0]
    wrist = camera.project((gripper_xyz + [0, 0, 0.06])[None])[0]
    shoulder = camera.project(np.array([[0.0, 0.0, 0.25]]))[0]
    scale = float(np.linalg.norm(camera.project((gripper_xyz + [0, 0.02, 0])[None])[0] - tip))
    draw.line([tuple(shoulder), tuple(wrist)], fill=(60, 60, 70), width=max(3, int(scale * 0.9)))
    spread = scale * (0.4 + 0.8 * opening)
    for side in (-1, 1):
        finger_top = wrist + [side * spread, 0]
        finger_tip = tip + [side * spread, 0]
        draw.line(
            [tuple(finger_top), tuple(finger_tip)],
            fill=(35, 35, 40),
            width=max(2, int(scale * 0.5)),
        )
    draw.line(
        [tuple(wrist + [-spread, 0]), tuple(wrist + [spread, 0])],
        fill=(35, 35, 40),
        width=max(2, int(scale * 0.5)),
    )
    pixels = np.asarray(image).astype(np.int16) + rng.integers(-6, 7, (IMAGE_SIZE, IMAGE_SIZE, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(
        buffer, format="JPEG", quality=90
    )
    return buffer.getvalue(), tip, np.array(boxes, dtype=np.float32)


@dataclass
class Scene:
    """One episode's scene and scripted motion: objects (the picked one first, then the target),
    the script, and the gripper's yaw per step."""

    objects: list[tuple[str, tuple, str, float, np.ndarray]]
    script: Script
    yaw: np.ndarray

    @property
    def instruction(self) -> str:
        return f"put the {self.objects[0][0]} on the {self.objects[1][0]}"


def make_scene(
    index: int,
    rng: np.random.Generator,
    n_objects: int,
    variant: Variant,
    script: Callable[..., Script] | None = None,
) -> Scene:
    """Pick the objects, their spots and the start, and script the pick-and-place (with
    `script_trajectory`, or `script` taking the same arguments)."""
    target_name = TARGETS[index % len(TARGETS)]
    others = [o for o in OBJECTS if o[0] not in TARGETS]
    picked = others[rng.integers(len(others))]
    distractors = [o for o in OBJECTS if o[0] not in (picked[0], target_name)]
    chosen = [picked, next(o for o in OBJECTS if o[0] == target_name)]
    chosen += [distractors[i] for i in rng.choice(len(distractors), n_objects - 2, replace=False)]
    spots = [
        np.array([rng.uniform(0.22, 0.42), y, 0.0])
        for y in rng.permutation(np.linspace(-0.18, 0.18, n_objects))
    ]
    objects = [
        (name, color, shape, radius, spot)
        for (name, color, shape, radius), spot in zip(chosen, spots, strict=True)
    ]
    start = np.array([0.25, rng.uniform(-0.05, 0.05), 0.2])
    script = (script or script_trajectory)(objects[0][4], objects[1][4], start, rng, variant.rate)
    yaw = np.cumsum(rng.normal(0, 0.01 / np.sqrt(variant.rate), len(script.positions)))
    return Scene(objects, script, yaw)


def render_scene(
    camera: Camera, scene: Scene, rng: np.random.Generator
) -> list[tuple[bytes, np.ndarray, np.ndarray]]:
    """Every step's frame as (JPEG bytes, gripper pixel, object boxes); the picked object rides
    in the closed gripper."""
    objects = list(scene.objects)
    frames = []
    held = False
    for xyz, opening in zip(scene.script.positions, scene.script.openings, strict=True):
        held = held or (opening < 0.5 and np.linalg.norm(xyz[:2] - objects[0][4][:2]) < 0.03)
        if held and opening >= 0.5:
            held = False
        if held:
            objects[0] = (*objects[0][:4], np.array([xyz[0], xyz[1], max(0.0, xyz[2] - 0.02)]))
        frames.append(_render(camera, objects, xyz, opening, rng))
    return frames


def make_episode(
    index: int,
    rng: np.random.Generator,
    camera: Camera,
    n_objects: int = 3,
    variant: Variant | None = None,
) -> dict:
    """One episode as the nested example dict that the TFDS features serialize."""
    variant = variant or Variant()
    scene = make_scene(index, rng, n_objects, variant)
    objects, script, yaw = scene.objects, scene.script, scene.yaw
    positions, openings = script.positions, script.openings
    scale = variant.position_scale
    primitives = true_primitives(script.clean, script.openings, variant) if variant.labels else None
    steps = []
    frames = render_scene(camera, scene, rng)
    for t, (xyz, opening) in enumerate(zip(positions, openings, strict=True)):
        jpeg, tip, boxes = frames[t]
        state = np.array([*(xyz * scale), 0.0, 0.0, yaw[t], opening], dtype=np.float32)
        nxt = t + 1 if t + 1 < len(positions) else t
        action = np.array(
            [*((positions[nxt] - xyz) * scale), 0.0, 0.0, yaw[nxt] - yaw[t], openings[nxt]],
            dtype=np.float32,
        )
        truth = {"gripper_pixel": tip.astype(np.float32), "object_boxes": boxes}
        if primitives is not None:
            truth.update(phase=script.phases[t], primitive=primitives[t])
        steps.append(
            {
                "observation": {"image_0": jpeg, "state": state},
                "action": action,
                "language_instruction": scene.instruction,
                "language_embedding": np.zeros(512, np.float32),
                "is_first": t == 0,
                "is_last": t == len(positions) - 1,
                "is_terminal": t == len(positions) - 1,
                "reward": float(t == len(positions) - 1),
                "discount": 1.0,
                "ground_truth": truth,
            }
        )
    episode_truth = {
        "camera_matrix": (camera.matrix @ np.diag([1 / scale] * 3 + [1.0])).astype(np.float32),
        "object_names": [o[0] for o in objects],
    }
    if variant.labels:
        episode_truth.update(
            control_hz=np.float32(BRIDGE_HZ * variant.rate), position_scale=np.float32(scale)
        )
    return {
        "steps": steps,
        "episode_metadata": {
            "file_path": f"ecot_sample/scene_{index:05d}.npy",
            "episode_id": np.int32(index),
        },
        "ground_truth": episode_truth,
    }


def sample_features(n_objects: int = 3, labels: bool = False):
    """The TFDS features of the sample; `labels` adds the true phase and primitive per step."""
    load_triton_first()
    import tensorflow as tf
    import tensorflow_datasets as tfds

    f = tfds.features
    size = (IMAGE_SIZE, IMAGE_SIZE, 3)
    step_labels, episode_labels = label_features()
    return f.FeaturesDict(
        {
            "steps": f.Dataset(
                {
                    "observation": f.FeaturesDict(
                        {
                            "image_0": f.Image(
                                shape=size,
                                dtype=np.uint8,
                                encoding_format="jpeg",
                                doc="Main camera RGB observation.",
                            ),
                            "state": f.Tensor(
                                shape=(7,),
                                dtype=np.float32,
                                doc="[x, y, z, roll, pitch, yaw, gripper]",
                            ),
                        }
                    ),
                    "action": f.Tensor(
                        shape=(7,),
                        dtype=np.float32,
                        doc="[dx, dy, dz, droll, dpitch, dyaw, gripper]",
                    ),
                    "language_instruction": f.Text(),
                    "language_embedding": f.Tensor(shape=(512,), dtype=np.float32),
                    "is_first": f.Scalar(dtype=np.bool_),
                    "is_last": f.Scalar(dtype=np.bool_),
                    "is_terminal": f.Scalar(dtype=np.bool_),
                    "reward": f.Scalar(dtype=np.float32),
                    "discount": f.Scalar(dtype=np.float32),
                    "ground_truth": f.FeaturesDict(
                        {
                            "gripper_pixel": f.Tensor(
                                shape=(2,), dtype=np.float32, doc="True pixel of the gripper tip."
                            ),
                            "object_boxes": f.Tensor(
                                shape=(n_objects, 4),
                                dtype=np.float32,
                                doc="True box of each object.",
                            ),
                            **(step_labels if labels else {}),
                        }
                    ),
                }
            ),
            "episode_metadata": f.FeaturesDict(
                {"file_path": f.Text(), "episode_id": f.Scalar(dtype=np.int32)}
            ),
            "ground_truth": f.FeaturesDict(
                {
                    "camera_matrix": f.Tensor(
                        shape=(3, 4), dtype=np.float32, doc="3x4 projection of world xyz to pixels."
                    ),
                    "object_names": f.Tensor(shape=(n_objects,), dtype=tf.string),
                    **(episode_labels if labels else {}),
                }
            ),
        }
    )


def write_sample(
    out_dir: str | Path,
    episodes: int = 8,
    seed: int = 0,
    shards: int = 2,
    variant: Variant | None = None,
    plant: Callable[[int, dict], dict] | None = None,
) -> Path:
    """Write the sample as a TFDS folder; return its version folder (what `annotate` reads).

    `plant` sees each episode (its index, the example dict) before it is written and returns it,
    changed or not (sample/plant.py plants defects in the recording this way)."""
    variant = variant or Variant()
    import tensorflow_datasets as tfds

    from ecot_annotate.sources.tfrecord_file import write_record

    root = Path(out_dir) / DATASET_NAME / VERSION
    root.mkdir(parents=True, exist_ok=True)
    features = sample_features(labels=variant.labels)
    rng = np.random.default_rng(seed)
    camera = Camera.look_at(np.array([0.75, 0.0, 0.45]), np.array([0.3, 0.0, 0.02]))
    shards = max(1, min(shards, episodes))
    per_shard = np.array_split(np.arange(episodes), shards)
    for shard, indices in enumerate(per_shard):
        path = root / f"{DATASET_NAME}-train.tfrecord-{shard:05d}-of-{shards:05d}"
        with open(path, "wb") as handle:
            for index in indices:
                episode = make_episode(int(index), rng, camera, variant=variant)
                if plant is not None:
                    episode = plant(int(index), episode)
                write_record(handle, features.serialize_example(episode))
    with tfds_quietly():
        tfds.folder_dataset.write_metadata(
            data_dir=str(root),
            features=features,
            split_infos=None,
            check_data=False,
            description="ecot-annotate generated tabletop sample with ground truth.",
        )
    return root
