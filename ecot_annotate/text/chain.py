"""The ECoT reasoning chain: tag order, text hygiene, and assembly of one step's chain.

The ECoT trainer joins tags with '@' internally, so no text field may contain '@'; `clean_text`
is applied by every writer whatever backend produced the text.
"""

from __future__ import annotations

import re

import numpy as np

from ecot_annotate.episode import AnnotatedEpisode, Annotation, Box

TAGS = (
    "TASK:",
    "PLAN:",
    "VISIBLE OBJECTS:",
    "SUBTASK REASONING:",
    "SUBTASK:",
    "MOVE REASONING:",
    "MOVE:",
    "GRIPPER POSITION:",
    "ACTION:",
)
FIELD_OF_TAG = {
    "TASK:": "task",
    "PLAN:": "plan",
    "SUBTASK REASONING:": "subtask_reason",
    "SUBTASK:": "subtask",
    "MOVE REASONING:": "move_reason",
    "MOVE:": "move",
}
GRIPPER_LOOKAHEAD = 5  # the chain shows the gripper now and over the next 4 steps
_SPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """One line, no '@' (the ECoT trainer's separator), no surrounding whitespace."""
    return _SPACE.sub(" ", text.replace("@", " at ")).strip()


def format_boxes(boxes: list[Box]) -> str:
    return ", ".join(f"{clean_text(b.label)} {[int(round(v)) for v in b.box]}" for b in boxes)


def gripper_window(track: np.ndarray, step: int) -> list[int]:
    """Pixel positions now and over the next steps, repeating the last one past the end."""
    idx = np.minimum(np.arange(step, step + GRIPPER_LOOKAHEAD), len(track) - 1)
    return [int(round(v)) for v in np.asarray(track)[idx].reshape(-1)]


def step_tags(annotated: AnnotatedEpisode, step: int) -> dict[str, str]:
    """Tag -> text for one step, in chain order, without ACTION; tags with no data are left out."""
    return annotation_tags(annotated.annotation, step)


def annotation_tags(ann: Annotation, step: int) -> dict[str, str]:
    """The tags of one step from the annotation alone (the episode's frames are not needed)."""
    reasoning = ann.reasoning[step].as_dict()
    tags: dict[str, str] = {}
    for tag in TAGS[:-1]:
        if tag in FIELD_OF_TAG:
            tags[tag] = clean_text(reasoning[FIELD_OF_TAG[tag]])
        elif tag == "VISIBLE OBJECTS:" and ann.bboxes is not None:
            tags[tag] = format_boxes(ann.bboxes[step])
        elif tag == "GRIPPER POSITION:" and ann.gripper is not None:
            tags[tag] = str(gripper_window(ann.gripper, step))
    return tags


def join_tags(tags: dict[str, str]) -> str:
    return " ".join(f"{tag} {text}" for tag, text in tags.items())


def step_chain(annotated: AnnotatedEpisode, step: int) -> str:
    """The chain text of one step, `TASK: ... GRIPPER POSITION: [...]` (actions are the trainer's)."""
    return join_tags(step_tags(annotated, step))


def split_chain(chain: str) -> dict[str, str]:
    """Parse a chain string back into tag -> text (used by `show`, `predict` and tests)."""
    pattern = "(" + "|".join(re.escape(t) for t in sorted(TAGS, key=len, reverse=True)) + ")"
    parts = re.split(pattern, chain)
    out: dict[str, str] = {}
    for tag, text in zip(parts[1::2], parts[2::2], strict=False):
        out[tag] = text.strip()
    return out
