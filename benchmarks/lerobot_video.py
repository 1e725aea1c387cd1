"""Generated LeRobot video datasets for the benchmarks: 480x640 frames of a moving scene, written by
the project's LeRobot writer (sample/lerobot_writer.py) in AV1 or H.264, as lerobot records them.

Frames are made on demand (never all in memory): a textured table, a block and a gripper that
moves along the end-effector path the state records, so the video compresses like a camera's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ecot_annotate.sample.lerobot_writer import DatasetSpec, RecordedEpisode, write_lerobot_dataset

HEIGHT, WIDTH = 480, 640
FPS = 30
CAMERA = "observation.images.image_0"  # where the ecot_sample profile's camera resolves
NAMES = ("x", "y", "z", "roll", "pitch", "yaw", "gripper")
PROFILE = "ecot_sample"  # state and action as 7 values of end-effector pose and gripper
os.environ.setdefault("SVT_LOG", "1")  # the AV1 encoder's banner and settings: errors only


class SceneFrames(Sequence):
    """An episode's frames, drawn when asked for: the gripper follows the state's x and y."""

    def __init__(self, state: np.ndarray, seed: int):
        rng = np.random.default_rng(seed)
        base = rng.integers(90, 150, size=(HEIGHT // 8, WIDTH // 8, 3), dtype=np.uint8)
        self.table = np.kron(base, np.ones((8, 8, 1), dtype=np.uint8))
        self.state = state
        self.block = (int(rng.integers(100, HEIGHT - 100)), int(rng.integers(100, WIDTH - 100)))

    def __len__(self) -> int:
        return len(self.state)

    def __getitem__(self, t: int) -> np.ndarray:  # type: ignore[override]
        frame = self.table.copy()
        by, bx = self.block
        frame[by - 30 : by + 30, bx - 30 : bx + 30] = (200, 40, 40)
        x, y, gripper = self.state[t, 0], self.state[t, 1], self.state[t, 6]
        gy, gx = int(HEIGHT / 2 + 150 * y), int(WIDTH / 2 + 200 * x)
        half = 12 + int(18 * gripper)
        frame[max(gy - 20, 0) : gy + 20, max(gx - half, 0) : gx + half] = (30, 30, 30)
        return frame


def _episode(steps: int, seed: int) -> RecordedEpisode:
    t = np.arange(steps) / FPS
    state = np.zeros((steps, len(NAMES)), dtype=np.float32)
    state[:, 0] = 0.8 * np.sin(0.4 * t)
    state[:, 1] = 0.6 * np.sin(0.3 * t + seed)
    state[:, 2] = 0.1 * np.cos(0.5 * t)
    state[:, 6] = (np.sin(0.2 * t) > 0).astype(np.float32)
    action = np.vstack([state[1:], state[-1:]])
    return RecordedEpisode(
        "put the red block on the plate", state, action, SceneFrames(state, seed)
    )


def write_video_dataset(root: Path, lengths: Sequence[int], codec: str) -> Path:
    """A LeRobot v3.0 dataset of episodes of `lengths` steps, its camera in `codec`."""
    spec = DatasetSpec("bench_arm", NAMES, FPS, CAMERA, codec)
    episodes = [_episode(n, seed) for seed, n in enumerate(lengths)]
    return write_lerobot_dataset(root, spec, episodes)


def video_file(root: Path) -> Path:
    return next((root / "videos" / CAMERA).rglob("*.mp4"))


def bare_decode(path: Path) -> tuple[int, float]:
    """(frames, seconds) of a bare PyAV decode of a whole video to RGB arrays: the baseline."""
    import av

    start, n = time.perf_counter(), 0
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.video[0]):
            frame.to_ndarray(format="rgb24")
            n += 1
    return n, time.perf_counter() - start


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
