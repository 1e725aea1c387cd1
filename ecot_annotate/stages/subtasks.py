"""Stage: where each subtask starts, from every signal the episode has, and what placed it.

Runs after motion (and after perception, whose gripper track and boxes give contact) and before
reasoning: the reasoners describe these segments, they do not find them again. See
`geometry.arm_signals` for the signals and `geometry.subtask_changes` for where they place
boundaries.
"""

from __future__ import annotations

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.geometry.arm_signals import episode_arm_signals
from ecot_annotate.geometry.subtask_changes import segments
from ecot_annotate.stages.base import Step, register_step, stage_step
from ecot_annotate.text.instruction import parse_instruction


class SubtasksStage:
    name = "subtasks"

    def __init__(self, config: AnnotateConfig, count: Count):
        self.config, self.count = config, count

    def setup(self) -> None:
        return None

    def run(self, episode: Episode, annotation: Annotation) -> Annotation:
        obj = parse_instruction(episode.instruction).obj
        arms = episode_arm_signals(
            episode,
            self.config.motion,
            self.config.dataset_profile,
            annotation,
            {obj} if obj else set(),
        )
        annotation.segments = segments(arms, episode.n_steps)
        return annotation


@register_step("subtasks", after=("motion",), before=("reasoning",))
def subtasks_step(config: AnnotateConfig) -> Step:
    return stage_step(
        "subtasks",
        SubtasksStage,
        reads=("instruction", "state", "action", "bboxes", "gripper"),
        writes=("segments",),
    )
