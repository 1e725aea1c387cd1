"""The one in-memory record every stage works on: an episode of robot steps, and its annotation.

Plain dataclasses over numpy so a stage can be tested without Beam or TensorFlow. Frames travel
as the source had them (`frames.Frame`): the encoded bytes a dataset stored, or the pixels decoded
from a video; `decode_image` gives pixels only where a stage needs them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecot_annotate.frames import Frame, VideoRef

REASONING_FIELDS = ("task", "plan", "subtask", "subtask_reason", "move", "move_reason")


SINGLE_ARM = "arm"  # the name of a robot's only arm, and of a single end-effector pose


@dataclass
class ArmTrack:
    """One arm's motion as the dataset records it: its end-effector pose where one is known (the
    state's or the action's pose, or forward kinematics of its joints), else its joints alone.

    A single Cartesian pose is one arm named `arm`; every episode is a tuple of these."""

    name: str  # "arm" for a single arm or pose; "left" / "right" for two
    xyz: np.ndarray | None  # (T, 3) end-effector position; None where no pose is known
    rotation: np.ndarray | None  # (T, 3) roll, pitch, yaw; None where no pose is known
    gripper: np.ndarray  # (T,) larger = more open; zeros where the arm names no gripper
    joints: np.ndarray | None  # (T, n) joint positions in turns; None where a pose was recorded
    source: (
        str  # "state", "forward kinematics (so101, degrees)", "joint speed (no kinematic model)"
    )

    @property
    def has_pose(self) -> bool:
        """Whether the arm's end effector has a position (an arm no model knows has none)."""
        return self.xyz is not None


@dataclass
class Episode:
    """One demonstration, as read from a dataset through a profile."""

    key: str  # stable: file_path + "_" + episode_id where the dataset has them, else our own
    dataset: str
    instruction: str
    # The primary camera's frame of each step, as the source had it (`frames.Frame`); None for a
    # step whose frame this run does not read; [] with no camera or when no frame is read at all
    images: Sequence[Frame | None]
    image_size: tuple[int, int]  # (width, height) of the primary camera; (0, 0) with none
    state: np.ndarray  # (T, D) float32, the dataset's proprioceptive state
    action: np.ndarray  # (T, A) float32
    arms: tuple[ArmTrack, ...]  # every arm's track, in the profile's order; one for a single pose
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


@dataclass
class Segment:
    """One subtask's steps and what placed its start: the signals a person can check it by."""

    kind: str  # reach | grasp | carry | release | retreat | retry | act
    start: int
    end: int  # exclusive
    signals: tuple[str, ...] = ()  # e.g. ("state gripper closes", "arm stops at 80")
    arm: str = ""  # the arm whose change starts it ("" for a single arm)
    unsure: int = 0  # steps its signals leave its start open over: where in them is a guess

    def steps(self) -> range:
        return range(self.start, self.end)


def several_arms(arms: Sized) -> bool:
    """The one place that tells one arm from several: several arms are each named in a text (and
    each arm's gripper events split the subtasks); a single arm's text is its own, as ECoT
    writes it."""
    return len(arms) > 1


def name_arms(per_arm: Mapping[str, str], label: str = " arm") -> str:
    """One text for every arm: a single arm's as it is, several each named
    (`left arm: move up; right arm: stop`)."""
    if not several_arms(per_arm):
        return next(iter(per_arm.values()))
    return "; ".join(f"{arm}{label}: {text}" for arm, text in per_arm.items())


def per_arm_parts(text: str, label: str = " arm") -> dict[str, str]:
    """The inverse of `name_arms`: each named arm's part, or the whole text as the single arm's."""
    parts = {}
    for part in text.split("; "):
        arm, colon, rest = part.partition(f"{label}: ")
        if not colon or not arm or " " in arm:
            return {SINGLE_ARM: text}
        parts[arm] = rest
    return parts


@dataclass
class Annotation:
    """Everything the stages add to an episode, with where each part came from."""

    arm_primitives: dict[str, list[str]] = field(default_factory=dict)  # every arm's, per step
    event_lead: int = 0  # steps from a primitive first naming a gripper change to where it starts
    segments: list[Segment] | None = None  # the subtasks and what placed them (stages/subtasks.py)
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
    def n_steps(self) -> int:
        return len(next(iter(self.arm_primitives.values()), ()))

    def move(self, step: int) -> str:
        """The step's move, naming what every arm did: one arm's primitive as it is, several each
        named (`left arm: move forward, close gripper; right arm: stop`)."""
        return name_arms({arm: prims[step] for arm, prims in self.arm_primitives.items()})

    @property
    def moves(self) -> list[str]:
        return [self.move(t) for t in range(self.n_steps)]

    @property
    def named_arms(self) -> dict[str, list[str]]:
        """The arms a move names, each with its primitives: every arm where there are several,
        none where the move is a single arm's own primitive."""
        return self.arm_primitives if several_arms(self.arm_primitives) else {}

    def set_move(self, step: int, text: str) -> None:
        """A person's move for one step: each arm it names gets its part; a move that names no
        arm is every arm's."""
        parts = per_arm_parts(text)
        if not parts.keys() & self.arm_primitives.keys():
            parts = dict.fromkeys(self.arm_primitives, text)
        for arm, prims in self.arm_primitives.items():
            prims[step] = parts.get(arm, prims[step])


@dataclass
class AnnotatedEpisode:
    """What flows between stages: an episode and its annotation so far."""

    episode: Episode
    annotation: Annotation
    committed: bool = False  # loaded from the run's manifest: finished, stages leave it as it is
