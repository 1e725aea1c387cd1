"""Runs whose contents the inspect tests know: written through the real Parquet sink (step_rows)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate.episode import (
    AnnotatedEpisode,
    Annotation,
    ArmTrack,
    Box,
    Episode,
    StepReasoning,
)
from ecot_annotate.sinks.parquet import rows_to_table, step_rows

RESIDUAL_COLUMN = "gripper_fit_residual_px"
SIZE = 64


def _frame(seed: int) -> bytes:
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 255, (SIZE, SIZE, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _episode(key: str, instruction: str, n: int) -> Episode:
    zeros = np.zeros((n, 3), np.float32)
    flags = np.zeros(n, bool)
    return Episode(
        key=key,
        dataset="known",
        instruction=instruction,
        images=[_frame(i) for i in range(n)],
        image_size=(SIZE, SIZE),
        state=np.zeros((n, 7), np.float32),
        action=np.zeros((n, 7), np.float32),
        arms=(ArmTrack("arm", zeros, zeros, np.ones(n, np.float32), None, "state"),),
        is_first=flags,
        is_last=flags,
        is_terminal=flags,
    )


def _annotated(
    key, instruction, prims, subtasks, moves, boxes, gripper, provenance, gripper_reason=None
):
    episode = _episode(key, instruction, len(prims))
    reasoning = [
        StepReasoning(instruction, s, s, "why", m, "because")
        for s, m in zip(subtasks, moves, strict=True)
    ]
    annotation = Annotation(
        arm_primitives={"arm": list(prims)},
        reasoning=reasoning,
        bboxes=boxes,
        gripper=None if gripper is None else np.asarray(gripper, np.float32),
        gripper_reason=gripper_reason,
        provenance={"config_hash": "known", **provenance},
    )
    return AnnotatedEpisode(episode, annotation)


def _box(label: str, x: float) -> Box:
    return Box(label, 0.9, (x, 10.0, x + 20.0, 40.0))


RULES = {"reasoning_source": "rules", "reasoning_model": "rules"}
EPISODES = [
    # a: rules; boxes on 2 of 4 steps (3 boxes); MOVE text of step 2 is not its primitive.
    (
        _annotated(
            "a",
            "put the cup in the sink",
            ["move left", "close gripper", "move up", "open gripper"],
            ["reach the cup", "grasp the cup", "carry the cup", "release the cup"],
            ["move left", "close gripper", "move down", "open gripper"],
            [[_box("cup", 5)], [], [_box("cup", 5), _box("sink", 30)], []],
            [[10, 10], [12, 11], [14, 12], [16, 13]],
            RULES,
        ),
        [1.0, 2.0, 3.0, 4.0],
    ),
    # b: LLM fell back to rules; no detector; the gripper closes while the subtask is a reach.
    (
        _annotated(
            "b",
            "open the drawer",
            ["stop", "close gripper", "stop"],
            ["move to the drawer"] * 3,
            ["stop", "close gripper", "stop"],
            None,
            None,
            {
                "reasoning_source": "fallback",
                "reasoning_model": "rules",
                "fallback_reason": "schema: missing field plan",
            },
            gripper_reason="too few gripper detections (1 of 3 frames)",
        ),
        [None, None, None],
    ),
    # c: LLM; the gripper opens while the subtask is an approach; large residuals.
    (
        _annotated(
            "c",
            "wipe the table",
            ["open gripper", "move forward"],
            ["approach the cloth"] * 2,
            ["open gripper", "move forward"],
            [[_box("cloth", 3)], [_box("cloth", 4)]],
            [[30, 30], [31, 31]],
            {"reasoning_source": "llm", "reasoning_model": "tiny-llm"},
        ),
        [10.0, 20.0],
    ),
    # d: clean.
    (
        _annotated(
            "d",
            "stay still",
            ["stop", "stop"],
            ["wait, holding still"] * 2,
            ["stop", "stop"],
            [[_box("table", 1)], [_box("table", 1)]],
            [[20, 20], [20, 20]],
            RULES,
        ),
        [0.5, 0.7],
    ),
]

EXPECTED = {
    "dataset": "known",
    "episodes": 4,
    "steps": 11,
    "episodes_in": 5,
    "episodes_quarantined": 1,
    "reasoning": {
        "episodes_by_source": {"rules": 2, "fallback": 1, "llm": 1},
        "steps_by_source": {"rules": 6, "fallback": 3, "llm": 2},
        "fallback_reasons": {"schema": 1},
    },
    "boxes": {
        "detector_ran": True,
        "steps_with_boxes": 6,
        "steps_without_boxes": 2,
        "steps_not_detected": 3,
        "boxes": 7,
    },
    "gripper": {
        "tracked_episodes": 3,
        "untracked_episodes": 1,
        "untracked_reasons": {"too few gripper detections (N of N frames)": 1},
        "residual_column": RESIDUAL_COLUMN,
        "residual_px": {"n": 8, "median": 2.5, "p90": 13.0, "max": 20.0},
        "residual_flag_fraction_of_width": 0.03,
    },
    "primitives": {
        "steps_by_primitive": {
            "stop": 4,
            "close gripper": 2,
            "open gripper": 2,
            "move left": 1,
            "move up": 1,
            "move forward": 1,
        },
        "steps_by_kind": {"stop": 4, "move": 3, "close": 2, "open": 2},
        "steps_by_arm": {"arm": {"stop": 4, "move": 3, "close": 2, "open": 2}},
    },
    "disagreements": {
        "steps": 3,
        "episodes": 3,
        "by_kind": {
            "move differs from primitive": 1,
            "close gripper outside a grasp subtask": 1,
            "open gripper outside a release subtask": 1,
        },
    },
    # a's plan names only the current subtask (3 steps before the last); c's subtask names the
    # cloth, which "wipe the table" does not
    "text_checks": {
        "fields": 44,
        "failing": 5,
        "by_check": {
            "only_moves": 0,
            "repeats_instruction": 0,
            "move_reason_disagrees": 0,
            "subtask_without_object": 2,
            "plan_out_of_order": 3,
            "unknown_object": 0,
            "repeats_itself": 0,
            "unfinished": 0,
        },
        "written": None,
        "writers": None,
    },
    "flagged_episodes": 3,
}


def write_known_run(folder: Path, residuals_as: str = "column") -> Path:
    """Four episodes (a-d above) as a run folder: parquet/ and summary.json.

    The gripper-fit residuals go in a numeric per-step column (`column`) or, as the perception
    stage's provenance does, in a `gripper_fit` text with the episode's median as "rms X px"
    (`provenance`).
    """
    folder.mkdir(parents=True, exist_ok=True)
    tables = []
    for annotated, residuals in EPISODES:
        table = rows_to_table(step_rows(annotated))
        if residuals_as == "column":
            column = pa.array(residuals, pa.float32())
            tables.append(table.append_column(RESIDUAL_COLUMN, column))
        else:
            known = [r for r in residuals if r is not None]
            text = (
                f"ransac-projective: 9 inlier detections of 10 steps, rms {np.median(known):.2f} px"
                if known
                else None
            )
            tables.append(
                table.append_column("gripper_fit", pa.array([text] * table.num_rows, pa.string()))
            )
    (folder / "parquet").mkdir(exist_ok=True)
    pq.write_table(pa.concat_tables(tables), folder / "parquet" / "steps-00000-of-00001.parquet")
    summary = {
        "dataset": "known",
        "episodes_in": 5,
        "episodes_quarantined": 1,
        "backends": {"reasoner": "llm", "detector": "grounding-dino"},
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def with_perception(run: Path, folder: Path) -> Path:
    """A copy of a run with two tracked boxes and a moving gripper point on every step (as
    perception writes them); odd steps list the boxes in the other order."""
    shutil.copytree(run, folder)
    parquet = folder / "parquet"
    for path in parquet.glob("*.parquet"):
        table = pq.read_table(path)
        steps = table.column("step").to_pylist()
        width = table.column("image_width").to_pylist()
        boxes = [
            [
                {
                    "label": "pot <b>lid</b>",
                    "score": 0.81,
                    "box": [0.1 * w, 0.2 * w, 0.5 * w, 0.6 * w],
                    "track": 3,
                },
                {
                    "label": "sink",
                    "score": 0.55,
                    "box": [0.4 * w, 0.5 * w, 0.95 * w, 0.95 * w],
                    "track": 1,
                },
            ][:: -1 if t % 2 else 1]
            for t, w in zip(steps, width, strict=True)
        ]
        gripper = [
            [0.3 * w + 2.0 * t, 0.3 * w + 1.0 * t] for t, w in zip(steps, width, strict=True)
        ]
        table = table.set_column(
            table.schema.get_field_index("bboxes"),
            table.schema.field("bboxes"),
            pa.array(boxes, table.schema.field("bboxes").type),
        )
        table = table.set_column(
            table.schema.get_field_index("gripper_position"),
            table.schema.field("gripper_position"),
            pa.array(gripper, table.schema.field("gripper_position").type),
        )
        pq.write_table(table, path)
    return folder
