"""The text checks applied to an LLM answer: which of its texts fail which check, and the counts.

The answer's texts are keyed as in repairs and provenance (`task`, `items.<i>.<field>`); each
item's move reason is checked against that item's move. A text that fails goes into the partial
repair with the check's reason, and, failing again, is written by the rule reasoner; the counters
say, per check, how many texts failed, were repaired and were taken from the rules. The plan is not
the model's text (it is assembled from the subtasks), so it is checked only in `stats`.
"""

from __future__ import annotations

import re
from typing import Any

from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.reasoners.llm_answer import field_key
from ecot_annotate.reasoners.llm_input import Run
from ecot_annotate.reasoners.llm_usage import CHECK_PREFIX
from ecot_annotate.text.checks import EpisodeWords, episode_words, field_failures
from ecot_annotate.text.plan_motion import (
    DISAGREEMENT_KINDS,
    SUBTASK_GRIPPER_CHECK,
    episode_disagreements,
)

_GRIPPER_REASONS = {
    DISAGREEMENT_KINDS[1]: "the gripper closes during this move, so the subtask must be about "
    "taking hold of something (grasp, pick up, hold)",
    DISAGREEMENT_KINDS[2]: "the gripper opens during this move, so the subtask must be about "
    "letting go (release, place, put down)",
}


def answer_words(episode: Episode, annotation: Annotation) -> EpisodeWords:
    """What the checks compare an answer with: instruction, caption and detected labels."""
    labels = {box.label for boxes in annotation.bboxes or () for box in boxes}
    return episode_words(episode.instruction, annotation.caption, labels)


def text_failures(
    texts: dict[str, Any], runs: list[Run], words: EpisodeWords
) -> dict[str, tuple[str, str]]:
    """key -> (check, reason) for the first check each text fails; texts that are not strings
    (the schema's problems, handled before) are left out."""
    found: dict[str, tuple[str, str]] = {}
    for key, text in texts.items():
        if not isinstance(text, str):
            continue
        name = key.rsplit(".", 1)[-1]
        move = runs[int(key.split(".")[1])][2] if key.startswith("items.") else ""
        failed = field_failures(name, text, words, move=move)
        if failed:
            found[key] = next(iter(failed.items()))
    return found


def gripper_failures(
    texts: dict[str, Any], runs: list[Run], lead: int
) -> dict[str, tuple[str, str]]:
    """items.<i>.subtask -> (check, reason) where the gripper closes (opens) during the item's move
    and neither its subtask nor the one the move's look-ahead reaches is about taking hold
    (letting go): the disagreement `stats` counts as plan/motion. Needs every subtask."""
    subtasks = [texts.get(field_key(i, "subtask")) for i in range(len(runs))]
    if not all(isinstance(s, str) for s in subtasks):
        return {}
    items = [i for i, (first, last, _) in enumerate(runs) for _ in range(first, last + 1)]
    moves = [runs[i][2] for i in items]
    found: dict[str, tuple[str, str]] = {}
    for t, kinds in enumerate(
        episode_disagreements(moves, moves, [subtasks[i] for i in items], lead)
    ):
        for kind in kinds:
            reason = (SUBTASK_GRIPPER_CHECK, _GRIPPER_REASONS[kind])
            found.setdefault(field_key(items[t], "subtask"), reason)
    return found


def echoes_problem(text: Any, problem: str) -> bool:
    """A repaired text made of the words the repair request said were wrong with it: a small model
    answers "the gripper closes during this move, so the subtask must be..." with "The gripper
    closes during this move." """
    said = " ".join(re.findall(r"[a-z0-9']+", str(text).lower()))
    return bool(said) and said in " ".join(re.findall(r"[a-z0-9']+", problem.lower()))


def mark_failures(
    texts: dict[str, Any],
    bad: dict[str, str],
    runs: list[Run],
    words: EpisodeWords,
    failed_checks: dict[str, str],
    lead: int = 0,
    answer: dict[str, Any] | None = None,
) -> None:
    """Add the texts that pass the schema but fail a text check, or a subtask the gripper
    contradicts, to `bad` (key -> reason), and the first check each failed to `failed_checks`
    (key -> check), for the counts. `answer`: the rest of the answer, when `texts` are a
    repair's few (a subtask is judged with its neighbours)."""
    good = {key: text for key, text in texts.items() if key not in bad}
    found = text_failures(good, runs, words)
    for key, failure in gripper_failures({**(answer or {}), **texts}, runs, lead).items():
        if key in good:
            found.setdefault(key, failure)
    for key, (check, reason) in found.items():
        bad[key] = reason
        failed_checks.setdefault(key, check)


def count_outcomes(
    count: Count, failed: dict[str, str], repaired: list[str], from_rules: list[str]
) -> None:
    """Per check: the texts that failed it, then were repaired or written by the rules."""
    for key, check in failed.items():
        count(f"{CHECK_PREFIX}{check}_failed", 1)
        if key in repaired:
            count(f"{CHECK_PREFIX}{check}_repaired", 1)
        elif key in from_rules:
            count(f"{CHECK_PREFIX}{check}_from_rules", 1)
