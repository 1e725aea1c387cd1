"""Stage: motion primitives from the end-effector track (ECoT's thresholds, geometry.motion).

The provenance says where the track came from: the state, or integrated action deltas when the
state holds joint values only.
"""

from __future__ import annotations

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.geometry.motion import event_lead, primitives
from ecot_annotate.stages.base import STAGES


@STAGES.register("motion")
class MotionStage:
    name = "motion"

    def __init__(self, config: AnnotateConfig, count: Count):
        self.config = config.motion

    def setup(self) -> None:
        return None

    def run(self, episode: Episode, annotation: Annotation) -> Annotation:
        annotation.primitives = primitives(
            episode.xyz, episode.rotation, episode.gripper, self.config
        )
        annotation.provenance["motion_source"] = episode.motion_source
        annotation.event_lead = event_lead(self.config.window)
        return annotation
