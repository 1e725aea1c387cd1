"""Stage: motion primitives of every arm (ECoT's thresholds, geometry.motion).

The provenance says where each arm's track came from: the state, integrated action deltas when the
state holds joint values only, or the forward kinematics of its joints. An arm with no kinematic
model gets move/stop from joint speed, and its pauses split the subtasks. `motion_stats` keeps a
few figures of how each arm moved (geometry/motion_stats.py), for the review queue to set the
episode beside the run's others.
"""

from __future__ import annotations

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode, name_arms, several_arms
from ecot_annotate.geometry.motion import episode_primitives, event_lead
from ecot_annotate.geometry.motion_stats import motion_statistics
from ecot_annotate.stages.base import Step, register_step, stage_step

UNKNOWN_ARM = "episodes_unknown_arm"  # counter: episodes moved by joint speed alone


class MotionStage:
    name = "motion"

    def __init__(self, config: AnnotateConfig, count: Count):
        self.config, self.count = config.motion, count

    def setup(self) -> None:
        return None

    def run(self, episode: Episode, annotation: Annotation) -> Annotation:
        annotation.arm_primitives = episode_primitives(episode.arms, self.config)
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
        reads=("state",),
        writes=("arm_primitives", "motion_stats"),
    )
