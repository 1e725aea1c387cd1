"""Step-level rows of the Parquet output, in the Arrow schema of schemas/annotated_step.json."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ecot_annotate import __version__
from ecot_annotate.episode import AnnotatedEpisode, Annotation
from ecot_annotate.sinks.schema import load_schema
from ecot_annotate.text.chain import annotation_tags, clean_text, join_tags


def step_rows(annotated: AnnotatedEpisode) -> list[dict[str, Any]]:
    """One dict per step, matching the Arrow schema field for field."""
    ep, ann = annotated.episode, annotated.annotation
    rows = []
    for t in range(ep.n_steps):
        rows.append(
            {
                "dataset": ep.dataset,
                "episode_key": ep.key,
                "file_path": ep.file_path,
                "episode_id": ep.episode_id,
                "step": t,
                "n_steps": ep.n_steps,
                "instruction": ep.instruction,
                "image": ep.images[t] if ep.images else b"",  # no camera: empty
                "image_width": ep.image_size[0],
                "image_height": ep.image_size[1],
                "state": ep.state[t].tolist(),
                "action": ep.action[t].tolist(),
                "is_first": bool(ep.is_first[t]),
                "is_last": bool(ep.is_last[t]),
                "is_terminal": bool(ep.is_terminal[t]),
                **annotation_fields(ann, t),
                "tool_version": __version__,
            }
        )
    return rows


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
