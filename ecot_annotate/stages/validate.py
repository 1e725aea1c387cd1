"""Stage: the last check before anything is written, and the run's stamp on the annotation.

Every step must have all six fields and a primitive; the annotation records the config hash that
made it, and says why the gripper is not tracked when no detector ran.
"""

from __future__ import annotations

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.content import content_hash
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.errors import EpisodeError
from ecot_annotate.stages.base import Step, register_step, stage_step

NO_DETECTOR = "not tracked: no detector configured (--detector none)"


def check_complete(episode: Episode, annotation: Annotation) -> None:
    """Every step has all six fields and every arm's primitive before anything is written."""
    counts = [len(prims) for prims in annotation.arm_primitives.values()]
    if len(annotation.reasoning) != episode.n_steps or set(counts) != {episode.n_steps}:
        raise EpisodeError(
            "validate",
            f"{len(annotation.reasoning)} reasoning steps and {'/'.join(map(str, counts)) or 0} "
            f"primitives for {episode.n_steps} steps",
        )
    for t, step in enumerate(annotation.reasoning):
        empty = [k for k, v in step.as_dict().items() if not v.strip()]
        if empty:
            raise EpisodeError("validate", f"step {t} has empty fields: {', '.join(empty)}")


class ValidateStage:
    name = "validate"

    def __init__(self, config: AnnotateConfig, count: Count):
        self.config_hash = content_hash(config)
        self.detects = config.perception.detects

    def setup(self) -> None:
        return None

    def run(self, episode: Episode, annotation: Annotation) -> Annotation:
        check_complete(episode, annotation)
        annotation.provenance["config_hash"] = self.config_hash
        if not self.detects and annotation.gripper is None:
            annotation.gripper_reason = annotation.gripper_reason or NO_DETECTOR
        return annotation


@register_step("validate", after=("reasoning",))
def validate_step(config: AnnotateConfig) -> Step:
    return stage_step(
        "validate",
        ValidateStage,
        reads=("arm_primitives", "reasoning"),
        writes=("provenance", "gripper_reason"),
    )
