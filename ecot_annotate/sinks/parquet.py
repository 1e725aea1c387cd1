"""Step-level rows of the Parquet output, in the Arrow schema of schemas/annotated_step.json.

Each step's frame is stored as the dataset stored it (RLDS's JPEG bytes pass through), decoded
pixels as JPEG at `frames.JPEG_QUALITY` (encoded here, once), or, where the input keeps its camera
as video and the run keeps references, not at all: `image` is empty and `image_video` /
`image_time` (schemas/video_reference.json) say where the frame is.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import repeat
from typing import Any

import pyarrow as pa

from ecot_annotate import __version__
from ecot_annotate.episode import AnnotatedEpisode, Annotation, Episode
from ecot_annotate.frames import VideoRef, encoded
from ecot_annotate.sinks.schema import load_schema
from ecot_annotate.text.chain import annotation_tags, clean_text, join_tags


def step_rows(annotated: AnnotatedEpisode, references: bool = False) -> list[dict[str, Any]]:
    """One dict per step, matching the Arrow schema (`step_schema(references)`) field for field."""
    ep, ann = annotated.episode, annotated.annotation
    rows = []
    for t, image in zip(range(ep.n_steps), _images(ep, references), strict=True):
        rows.append(
            {
                "dataset": ep.dataset,
                "episode_key": ep.key,
                "file_path": ep.file_path,
                "episode_id": ep.episode_id,
                "step": t,
                "n_steps": ep.n_steps,
                "instruction": ep.instruction,
                "image": image,
                "image_width": ep.image_size[0],
                "image_height": ep.image_size[1],
                "state": ep.state[t].tolist(),
                "action": ep.action[t].tolist(),
                "is_first": bool(ep.is_first[t]),
                "is_last": bool(ep.is_last[t]),
                "is_terminal": bool(ep.is_terminal[t]),
                **annotation_fields(ann, t),
                "tool_version": __version__,
                **(_reference(ep.video, t) if references else {}),
            }
        )
    return rows


def _images(ep: Episode, references: bool) -> Iterator[bytes]:
    """Each step's image bytes: empty with no camera or where the row keeps a reference; else as
    stored, or encoded once from decoded pixels (a video's, decoded as they are iterated)."""
    if not ep.images or (references and ep.video is not None):
        return repeat(b"", ep.n_steps)
    return (encoded(frame) for frame in ep.images)


def _reference(video: VideoRef | None, t: int) -> dict[str, Any]:
    return {
        "image_video": video.path if video else None,
        "image_time": video.times[t] if video else None,
    }


def annotation_fields(ann: Annotation, t: int) -> dict[str, Any]:
    """The columns of step `t` that come from the annotation alone (no frames, state or instruction)."""
    prov = ann.provenance
    return {
        **{k: clean_text(v) for k, v in ann.reasoning[t].as_dict().items()},
        "primitive": ann.move(t),
        "arm_primitives": [
            {"arm": arm, "primitive": prims[t]} for arm, prims in ann.named_arms.items()
        ]
        or None,
        "chain": join_tags(annotation_tags(ann, t)),
        "caption": clean_text(ann.caption) if ann.caption else None,
        "bboxes": None
        if ann.bboxes is None
        else [
            {
                "label": clean_text(b.label),
                "score": float(b.score),
                "box": [float(v) for v in b.box],
                "track": b.track,
            }
            for b in ann.bboxes[t]
        ],
        "gripper_position": None if ann.gripper is None else [float(v) for v in ann.gripper[t]],
        "gripper_reason": ann.gripper_reason,
        "gripper_fit_rms_px": ann.gripper_fit_rms_px,
        "gripper_fit_inliers": ann.gripper_fit_inliers,
        "reasoning_source": prov.get("reasoning_source", "rules"),
        "reasoning_model": prov.get("reasoning_model", "rules"),
        "fallback_reason": prov.get("fallback_reason"),
        "prompt_hash": prov.get("prompt_hash"),
        "answer_mode": prov.get("answer_mode") or None,
        "fields_repaired": prov.get("fields_repaired") or None,
        "fields_from_rules": prov.get("fields_from_rules") or None,
        "detector": prov.get("detector"),
        "segmenter": prov.get("segmenter"),
        "captioner": prov.get("captioner"),
        "config_hash": prov.get("config_hash", ""),
    }


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=load_schema())
