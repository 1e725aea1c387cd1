"""Stage: motion primitives from the end-effector track (ECoT's thresholds, geometry.motion).

The provenance says where the track came from: the state, integrated action deltas when the
state holds joint values only, or the forward kinematics of each arm's joints. A robot with two
arms gets each arm's primitives; an arm with no kinematic model gets move/stop from joint speed.
`motion_stats` keeps a few figures of how the episode moved (geometry/motion_stats.py), each
arm's, for the review queue to set the episode beside the run's others.
"""

from __future__ import annotations

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, ArmTrack, Episode
from ecot_annotate.geometry.motion import event_lead, joint_primitives, primitives
from ecot_annotate.geometry.motion_stats import motion_statistics
from ecot_annotate.stages.base import Step, register_step, stage_step

UNKNOWN_ARM = "episodes_unknown_arm"  # counter: episodes moved by joint speed alone


class MotionStage:
    name = "motion"

    def __init__(self, config: AnnotateConfig, count: Count):
        self.config, self.count = config.motion, count

    def setup(self) -> None:
        return None

    def _arm(self, arm: ArmTrack) -> list[str]:
        if arm.has_model:
            return primitives(arm.xyz, arm.rotation, arm.gripper, self.config)
        return joint_primitives(arm.joints, arm.gripper, self.config)

    def run(self, episode: Episode, annotation: Annotation) -> Annotation:
        lead = event_lead(self.config.window)
        if episode.arms:
            per_arm = {arm.name: self._arm(arm) for arm in episode.arms}
            annotation.primitives = per_arm[episode.arms[0].name]
            annotation.arm_primitives = per_arm if len(per_arm) > 1 else {}
            stats = {
                arm.name: motion_statistics(
                    arm.xyz if arm.has_model else arm.joints, per_arm[arm.name], lead
                )
                for arm in episode.arms
            }
            annotation.motion_stats = (
                {
                    f"{arm}: {name}": v
                    for arm, figures in stats.items()
                    for name, v in figures.items()
                }
                if len(stats) > 1
                else stats[episode.arms[0].name]
            )
            if not all(arm.has_model for arm in episode.arms):
                self.count(UNKNOWN_ARM, 1)
                annotation.split_at_pauses = True
            annotation.provenance["motion_source"] = (
                episode.motion_source
                if len(episode.arms) == 1
                else "; ".join(f"{arm.name}: {arm.source}" for arm in episode.arms)
            )
        else:
            annotation.primitives = primitives(
                episode.xyz, episode.rotation, episode.gripper, self.config
            )
            annotation.motion_stats = motion_statistics(episode.xyz, annotation.primitives, lead)
            annotation.provenance["motion_source"] = episode.motion_source
        annotation.event_lead = lead
        return annotation


@register_step("motion", after=("tracks",))
def motion_step(config: AnnotateConfig) -> Step:
    return stage_step(
        "motion",
        MotionStage,
        reads=("state",),
        writes=("primitives", "arm_primitives", "motion_stats"),
    )
