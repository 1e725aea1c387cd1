"""The one in-memory record every stage works on: an episode of robot steps, and its annotation.

Plain dataclasses over numpy so a stage can be tested without Beam or TensorFlow. Frames travel
as the source had them (`frames.Frame`): the encoded bytes a dataset stored, or the pixels decoded
from a video; `decode_image` gives pixels only where a stage needs them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecot_annotate.frames import Frame, VideoRef

REASONING_FIELDS = ("task", "plan", "subtask", "subtask_reason", "move", "move_reason")


@dataclass
class ArmTrack:
    """One arm's end-effector track, from its joints through a kinematic model where one is known.

    An arm with no model keeps zeros in `xyz`/`rotation`; its motion is read from `joints`."""

    name: str  # "arm" for a single arm; "left" / "right" for two
    xyz: np.ndarray  # (T, 3) metres, forward kinematics of the joints
    rotation: np.ndarray  # (T, 3) roll, pitch, yaw
    gripper: np.ndarray  # (T,) larger = more open; zeros where the arm names no gripper
    joints: np.ndarray  # (T, n) joint positions in turns (a fraction of a full revolution)
    source: str  # "forward kinematics (so101, degrees)", "joint speed (no kinematic model)"
    has_model: bool


@dataclass
class Episode:
    """One demonstration, as read from a dataset through a profile."""

    key: str  # stable: file_path + "_" + episode_id where the dataset has them, else our own
    dataset: str
    instruction: str
    # The primary camera's frame of each step, as the source had it (`frames.Frame`); None for a
    # step whose frame this run does not read; [] with no camera or when no frame is read at all
    images: list[Frame | None]
    image_size: tuple[int, int]  # (width, height) of the primary camera; (0, 0) with none
    state: np.ndarray  # (T, D) float32, the dataset's proprioceptive state
    action: np.ndarray  # (T, A) float32
    xyz: np.ndarray  # (T, 3) end-effector position, picked from state by the profile
    rotation: np.ndarray  # (T, 3) end-effector roll, pitch, yaw
    gripper: np.ndarray  # (T,) gripper opening, larger = more open
    is_first: np.ndarray
    is_last: np.ndarray
    is_terminal: np.ndarray
    file_path: str | None = None
    episode_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    ground_truth: dict[str, np.ndarray] | None = (
        None  # generated sample only: camera, gripper px, boxes
    )
    record: bytes | None = None  # the serialized source record, for writers that copy it through
    motion_source: str = "state"  # where xyz/rotation came from: state, or integrated action deltas
    # Robots whose state is joint positions: every arm's track; xyz/rotation/gripper are the first's.
    arms: tuple[ArmTrack, ...] = ()
    video: VideoRef | None = None  # where the frames are in a video, when the source stores one

    @property
    def n_steps(self) -> int:
        """Steps, counted by the frames, or by the state rows where there is no camera."""
        return len(self.images) if self.images else len(self.state)


def decode_image(frame: Frame) -> np.ndarray:
    """One frame as an (H, W, 3) uint8 array: decoded pixels as they are, bytes decoded."""
    if isinstance(frame, np.ndarray):
        return frame
    from PIL import Image

    with Image.open(io.BytesIO(frame)) as img:
        return np.asarray(img.convert("RGB"))


@dataclass
class Box:
    """An open-vocabulary detection in pixel coordinates of the image the detector saw."""

    label: str
    score: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    track: int | None = None  # the object's id across the episode's frames; None when untracked


@dataclass
class StepReasoning:
    """The six text fields of an ECoT step that a reasoner writes."""

    task: str
    plan: str
    subtask: str
    subtask_reason: str
    move: str
    move_reason: str

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in REASONING_FIELDS}


def arms_move(per_arm: dict[str, str]) -> str:
    """One step's move of two arms, each named: `left arm: move up; right arm: stop`."""
    return "; ".join(f"{arm} arm: {primitive}" for arm, primitive in per_arm.items())


@dataclass
class Annotation:
    """Everything the stages add to an episode, with where each part came from."""

    primitives: list[str] = field(default_factory=list)  # the first arm's where there are two
    arm_primitives: dict[str, list[str]] = field(default_factory=dict)  # per arm, for two arms
    event_lead: int = 0  # steps from a primitive first naming a gripper change to where it starts
    split_at_pauses: bool = False  # an arm with no kinematic model: subtasks split where it rests
    reasoning: list[StepReasoning] = field(default_factory=list)
    caption: str | None = None
    bboxes: list[list[Box]] | None = None  # per step; None when no detector ran
    gripper: np.ndarray | None = None  # (T, 2) pixels; None when not tracked
    gripper_reason: str | None = None  # why the gripper is not tracked, when it is not
    gripper_fit_rms_px: float | None = None  # the fit's pixel error over its inlier detections
    gripper_fit_inliers: int | None = None  # detections the fit agrees with
    provenance: dict[str, str] = field(default_factory=dict)
    # How the episode moved (geometry/motion_stats.py): per arm, `left: speed` with two arms.
    motion_stats: dict[str, float] = field(default_factory=dict)

    @property
    def moves(self) -> list[str]:
        """Each step's move as the text names it: the primitive, or with two arms every arm's,
        each named (`left arm: move forward, close gripper; right arm: stop`)."""
        if len(self.arm_primitives) < 2:
            return self.primitives
        return [
            arms_move({arm: prims[t] for arm, prims in self.arm_primitives.items()})
            for t in range(len(self.primitives))
        ]


@dataclass
class AnnotatedEpisode:
    """What flows between stages: an episode and its annotation so far."""

    episode: Episode
    annotation: Annotation
    committed: bool = False  # loaded from the run's manifest: finished, stages leave it as it is
