"""The ECoT trainer's JSON: {file_path: {episode_id: entry}} with per-step reasoning as strings.

Written exactly as the trainer reads it (``gripper_position``, not the generation script's
``gripper_positions``), with '@' removed from every text field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, BinaryIO

from ecot_annotate.episode import AnnotatedEpisode, ArmTrack
from ecot_annotate.text.chain import clean_text


def ecot_ids(annotated: AnnotatedEpisode) -> tuple[str, str]:
    """(file_path, episode_id) as the trainer looks them up; our own key where the dataset has none."""
    ep = annotated.episode
    if ep.file_path is not None and ep.episode_id is not None:
        return ep.file_path, ep.episode_id
    return ep.key, "0"


def episode_entry(annotated: AnnotatedEpisode) -> dict[str, Any]:
    ep, ann = annotated.episode, annotated.annotation
    file_path, episode_id = ecot_ids(annotated)
    return {
        "reasoning": {
            str(t): {k: clean_text(v) for k, v in r.as_dict().items()}
            for t, r in enumerate(ann.reasoning)
        },
        "features": {
            "move_primitive": [clean_text(p) for p in ann.moves],
            "gripper_position": None
            if ann.gripper is None
            else [[int(round(x)), int(round(y))] for x, y in ann.gripper],
            "bboxes": None
            if ann.bboxes is None
            else [
                [
                    [round(float(b.score), 4), clean_text(b.label), [int(round(v)) for v in b.box]]
                    for b in boxes
                ]
                for boxes in ann.bboxes
            ],
            "bbox_tracks": None
            if ann.bboxes is None
            else [[b.track for b in boxes] for boxes in ann.bboxes],
            "state_3d": _state_3d(annotated),
            "image_size": list(ep.image_size),
            **_arms(annotated),
        },
        "metadata": {
            "episode_id": episode_id,
            "file_path": file_path,
            "n_steps": ep.n_steps,
            "language_instruction": clean_text(ep.instruction),
            "caption": clean_text(ann.caption or ""),
        },
    }


def _positions(arm: ArmTrack) -> list[list[float]] | None:
    """An arm's end-effector xyz per step; None where no pose is known (no kinematic model)."""
    return None if arm.xyz is None else [[float(v) for v in xyz] for xyz in arm.xyz]


def _state_3d(annotated: AnnotatedEpisode) -> list[list[float]] | None:
    """The one arm's end-effector xyz per step, as ECoT writes it; None with several arms (each
    arm's is under `arms`) and for an arm with no pose."""
    if annotated.annotation.named_arms:
        return None
    (arm,) = annotated.episode.arms
    return _positions(arm)


def _arms(annotated: AnnotatedEpisode) -> dict[str, Any]:
    """Arms a move names: each arm's primitives and end-effector track beside the trainer's keys
    (whose `move_primitive` names every arm); nothing for one arm, as ECoT writes it."""
    ep, ann = annotated.episode, annotated.annotation
    if not ann.named_arms:
        return {}
    tracks = {arm.name: arm for arm in ep.arms}
    return {
        "arms": {
            name: {
                "move_primitive": [clean_text(p) for p in prims],
                "state_3d": _positions(tracks[name]),
                "motion_source": tracks[name].source,
            }
            for name, prims in ann.named_arms.items()
        }
    }


def entry_line(annotated: AnnotatedEpisode) -> str:
    """One JSON line per episode: [file_path, episode_id, entry] (the parts before merging)."""
    file_path, episode_id = ecot_ids(annotated)
    return json.dumps([file_path, episode_id, episode_entry(annotated)], sort_keys=True)


def merge_lines(lines: Iterable[str], out: BinaryIO) -> int:
    """Merge entry lines into the trainer's single JSON object, keys sorted (deterministic)."""
    merged: dict[str, dict[str, Any]] = {}
    for line in lines:
        if line.strip():
            file_path, episode_id, entry = json.loads(line)
            merged.setdefault(file_path, {})[episode_id] = entry
    out.write(json.dumps(merged, sort_keys=True).encode())
    return sum(len(v) for v in merged.values())
