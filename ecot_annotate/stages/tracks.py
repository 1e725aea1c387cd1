"""Stage: one stable id per detected object across the episode (`geometry.tracks`).

Runs after perception: associates each frame's boxes with the boxes before, fills short gaps,
drops one-frame flickers and writes the track id into every box, so VISIBLE OBJECTS names the
same objects from step to step and every output can say which box is which object.
"""

from __future__ import annotations

from dataclasses import replace

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.geometry.tracks import TrackConfig, track_boxes
from ecot_annotate.stages.base import Step, register_step, stage_step


class TrackStage:
    name = "tracks"

    def __init__(self, config: AnnotateConfig, count: Count):
        self.config = TrackConfig()

    def setup(self) -> None:
        return None

    def run(self, episode: Episode, annotation: Annotation) -> Annotation:
        if annotation.bboxes is None:
            return annotation
        tracked = track_boxes(annotation.bboxes, self.config)
        annotation.bboxes = [[replace(box, track=i) for i, box in frame] for frame in tracked]
        return annotation


@register_step("tracks", after=("detect",))
def tracks_step(config: AnnotateConfig) -> Step | None:
    if not (config.perception.detects and config.perception.tracks):
        return None
    return stage_step("tracks", TrackStage, reads=("bboxes",), writes=("bboxes",))
