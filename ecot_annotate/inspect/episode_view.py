"""What an episode page shows, built from the episode's Parquet rows: frames, boxes, gripper, chain.

Everything here is plain data (JSON-ready); escaping is the template's job.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from ecot_annotate.errors import EpisodeError
from ecot_annotate.frames import encoded
from ecot_annotate.inspect.quality import primitive_kind
from ecot_annotate.store.frames import RowFrames
from ecot_annotate.text.chain import GRIPPER_LOOKAHEAD, split_chain
from ecot_annotate.text.plan_motion import episode_disagreements

THUMB_SIZE = 96  # px, the longer side of an index thumbnail
_NO_FRAME_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="192"><rect width="100%" '
    'height="100%" fill="#eee"/><text x="50%" y="50%" text-anchor="middle" font-family="sans-serif"'
    ' fill="#666">no camera</text></svg>'
)
NO_FRAME = f"data:image/svg+xml;base64,{base64.b64encode(_NO_FRAME_SVG.encode()).decode()}"


def data_uri(image: bytes) -> str:
    """An encoded frame as a data: URI, with its real type (JPEG or PNG as the dataset stored it);
    a run without a camera stores no frame, shown as a plain 'no camera' card."""
    from PIL import Image

    if not image:
        return NO_FRAME
    with Image.open(io.BytesIO(image)) as img:
        mime = Image.MIME.get(img.format or "", "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(image).decode()}"


def page_images(rows: list[dict[str, Any]]) -> list[bytes]:
    """Each row's frame as image bytes for a page: as the run stored it, or the frame its video
    reference points at, encoded as JPEG (empty where there is none, or the video is gone)."""
    frames = RowFrames()
    images = []
    try:
        for row in rows:
            try:
                images.append(encoded(frames.frame(row)))
            except EpisodeError:
                images.append(b"")
    finally:
        frames.close()
    return images


def thumbnail_uri(image: bytes) -> str:
    """A small JPEG of a frame for the index (small frames are kept as they are)."""
    from PIL import Image

    if not image:
        return NO_FRAME
    with Image.open(io.BytesIO(image)) as img:
        if max(img.size) <= THUMB_SIZE:
            return data_uri(image)
        small = img.convert("RGB")
        small.thumbnail((THUMB_SIZE, THUMB_SIZE))
        buffer = io.BytesIO()
        small.save(buffer, format="JPEG", quality=85)
    return data_uri(buffer.getvalue())


def _boxes(value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    return [
        {
            "label": b["label"],
            "score": round(float(b["score"]), 3),
            "box": [round(float(v), 1) for v in b["box"]],
            "track": b.get("track"),
        }
        for b in value
    ]


def _point(value: list[float] | None) -> list[float] | None:
    return None if value is None else [round(float(v), 1) for v in value]


def _segments(values: list[str]) -> list[dict[str, Any]]:
    """Runs of equal values: [{text, start, length}], for the subtask strip."""
    runs: list[dict[str, Any]] = []
    for step, value in enumerate(values):
        if runs and runs[-1]["text"] == value:
            runs[-1]["length"] += 1
        else:
            runs.append({"text": value, "start": step, "length": 1})
    return runs


def episode_view(rows: list[dict[str, Any]], index: int, lead: int = 0) -> dict[str, Any]:
    """The page data of one episode from its step rows (any order; they are sorted by step).

    `lead`: the run's gripper event lead, for the plan/motion check (`quality.summary_event_lead`).
    """
    rows = sorted(rows, key=lambda r: r["step"])
    disagreements = episode_disagreements(
        [r["primitive"] for r in rows],
        [r["move"] for r in rows],
        [r["subtask"] for r in rows],
        lead,
    )
    first = rows[0]
    track = [_point(r["gripper_position"]) for r in rows]
    images = page_images(rows)
    steps = []
    for t, row in enumerate(rows):
        ahead = [track[min(s, len(rows) - 1)] for s in range(t + 1, t + GRIPPER_LOOKAHEAD)]
        steps.append(
            {
                "step": row["step"],
                "image": data_uri(images[t]),
                "primitive": row["primitive"],
                "kind": primitive_kind(row["primitive"]),
                "subtask": row["subtask"],
                "tags": list(split_chain(row["chain"]).items()),
                "boxes": _boxes(row["bboxes"]),
                "gripper": track[t],
                "gripper_next": [p for p in ahead if p is not None] if track[t] is not None else [],
                "disagreements": disagreements[t],
            }
        )
    return {
        "index": index,
        "key": first["episode_key"],
        "instruction": first["instruction"],
        "caption": first.get("caption"),
        "n_steps": len(rows),
        "width": first["image_width"],
        "height": first["image_height"],
        "reasoning_source": first["reasoning_source"],
        "reasoning_model": first["reasoning_model"],
        "fallback_reason": first["fallback_reason"],
        "gripper_reason": first["gripper_reason"],
        "detector": first.get("detector"),
        "perception": any(s["boxes"] is not None or s["gripper"] is not None for s in steps),
        "subtasks": _segments([s["subtask"] for s in steps]),
        "steps": steps,
    }
