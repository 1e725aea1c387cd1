"""Every signal an episode has for finding its subtasks, per arm: speed, gripper(s), contact.

The gripper wherever it is recorded: the state's gripper value (a hand's fingers together), the
action's gripper command where the profile names one (`gripper_action_index`, for recordings
that keep the gripper only in the action) or where the action is the state's commanded next
value (LeRobot's joint-space robots: same width, same order). Speed from the end-effector track
where a kinematic model gives one, else from the joints. Contact where a detector ran and the
gripper was tracked. Times come from the motion window, which is 0.8 s at the run's control rate
(`geometry.motion_auto`).
"""

from __future__ import annotations

import numpy as np

from ecot_annotate.config import MotionConfig
from ecot_annotate.episode import Annotation, ArmTrack, Episode
from ecot_annotate.geometry.arm_speed import arm_speed
from ecot_annotate.geometry.contact import contact_spans
from ecot_annotate.geometry.gripper_events import GripperEvent, gripper_events
from ecot_annotate.geometry.motion import JOINT_THRESHOLD
from ecot_annotate.geometry.motion_auto import WINDOW_SECONDS
from ecot_annotate.geometry.subtask_changes import ArmSignals
from ecot_annotate.profiles.model import ArmProfile, DatasetProfile

FLOOR_SHARE = 0.5  # an arm moves when faster than this share of the primitives' move threshold
EVENT_SPAN = 5.0  # a gripper event spans at least this many primitive gripper thresholds


def steps_per_second(motion: MotionConfig) -> float:
    """The control rate the motion window was made for (it spans WINDOW_SECONDS)."""
    return motion.window / WINDOW_SECONDS


def _events(
    values: np.ndarray,
    hz: float,
    motion: MotionConfig,
    source: str,
    open_is_high: bool = True,
    command: bool = False,
) -> list[GripperEvent]:
    if len(values) == 0 or np.ptp(values) == 0:
        return []
    span, settle = EVENT_SPAN * motion.gripper_threshold, motion.gripper_threshold
    return gripper_events(values, hz, span, source, open_is_high, command, settle)


def _commanded(episode: Episode, arm: ArmProfile | None) -> tuple[np.ndarray, bool] | None:
    """The arm's gripper command in the action, and whether larger means more open."""
    if arm is None:
        return None
    action = episode.action
    if arm.gripper_action_index is not None and arm.gripper_action_index < action.shape[1]:
        return action[:, arm.gripper_action_index], arm.gripper_open_is_high
    grip = arm.grip(action) if action.shape == episode.state.shape else None
    if grip is not None:
        return grip, arm.gripper_open_is_high
    return None


def _arm(
    episode: Episode,
    track: ArmTrack,
    profile_arm: ArmProfile | None,
    motion: MotionConfig,
    source: str,
) -> tuple[np.ndarray, float, list[GripperEvent]]:
    """(speed track, speed floor per second, gripper events) of one arm."""
    hz = steps_per_second(motion)
    if track.has_pose:
        values, threshold = track.xyz, motion.translation_threshold
    else:
        values, threshold = track.joints, JOINT_THRESHOLD
    events = _events(track.gripper, hz, motion, source)
    command = _commanded(episode, profile_arm)
    if command is not None:
        events += _events(command[0], hz, motion, "action gripper command", command[1], True)
    return values, FLOOR_SHARE * threshold / WINDOW_SECONDS, events


def episode_arm_signals(
    episode: Episode,
    motion: MotionConfig,
    profile: DatasetProfile | None = None,
    annotation: Annotation | None = None,
    objects: set[str] = frozenset(),
) -> list[ArmSignals]:
    """One ArmSignals per arm (a single pose is one arm). `objects`: the box labels that count as
    the object the instruction names, for contact."""
    hz = steps_per_second(motion)
    contact: tuple[tuple[int, int], ...] = ()
    if annotation is not None and annotation.gripper is not None and annotation.bboxes:
        contact = contact_spans(annotation.gripper, annotation.bboxes, set(objects), hz)
    profile_arms = {a.name: a for a in (profile.arms if profile else ())}
    # a single pose's gripper is where its profile reads it (the state's or the action's)
    source = f"{profile.gripper_from} gripper" if profile and not profile.arms else "state gripper"
    found = []
    for track in episode.arms:
        profile_arm = profile_arms.get(track.name)
        values, floor, events = _arm(episode, track, profile_arm, motion, source)
        found.append(ArmSignals(track.name, arm_speed(values, hz, floor), tuple(events), contact))
    return found
