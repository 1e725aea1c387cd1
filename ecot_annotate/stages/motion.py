"""Stage: motion primitives of every arm (ECoT's thresholds, geometry.motion).

The provenance says where each arm's track came from: the state, integrated action deltas when the
state holds joint values only, or the forward kinematics of its joints. An arm with no kinematic
model gets move/stop from joint speed, and its pauses split the subtasks. A gripper that makes
whole picks only read the other way round from its profile's (a hand whose 1 is open) is read
that way here, once, so that the primitives and the subtasks name the same close and open.
`motion_stats` keeps a few figures of how each arm moved (geometry/motion_stats.py), for the
review queue to set the episode beside the run's others.
"""

from __future__ import annotations

from dataclasses import replace

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode, name_arms, several_arms
from ecot_annotate.geometry.arm_signals import episode_arm_signals
from ecot_annotate.geometry.motion import episode_primitives, event_lead
from ecot_annotate.geometry.motion_stats import motion_statistics
from ecot_annotate.geometry.subtask_changes import reads_reversed
from ecot_annotate.stages.base import Step, register_step, stage_step

UNKNOWN_ARM = "episodes_unknown_arm"  # counter: episodes moved by joint speed alone


class MotionStage:
    name = "motion"

    def __init__(self, config: AnnotateConfig, count: Count):
        self.config, self.profile, self.count = config.motion, config.dataset_profile, count

    def setup(self) -> None:
        return None

    def run(self, episode: Episode, annotation: Annotation) -> Annotation:
        signals = episode_arm_signals(episode, self.config, self.profile)
        annotation.gripper_reversed = tuple(s.name for s in signals if reads_reversed(s))
        arms = tuple(
            replace(arm, gripper=-arm.gripper) if arm.name in annotation.gripper_reversed else arm
            for arm in episode.arms
        )
        annotation.arm_primitives = episode_primitives(arms, self.config)
        if annotation.gripper_reversed:
            annotation.provenance["gripper_reversed"] = ", ".join(annotation.gripper_reversed)
        if not all(arm.has_pose for arm in episode.arms):
            self.count(UNKNOWN_ARM, 1)
        annotation.provenance["motion_source"] = name_arms(
            {arm.name: arm.source for arm in episode.arms}, label=""
        )
        annotation.event_lead = event_lead(self.config.window)
        annotation.motion_stats = {
            f"{arm.name}: {name}" if several_arms(episode.arms) else name: value
            for arm in episode.arms
            for name, value in motion_statistics(
                arm.xyz if arm.has_pose else arm.joints, annotation.arm_primitives[arm.name]
            ).items()
        }
        return annotation


@register_step("motion", after=("tracks",))
def motion_step(config: AnnotateConfig) -> Step:
    return stage_step(
        "motion",
        MotionStage,
        reads=("state", "action"),
        writes=("arm_primitives", "motion_stats"),
    )
