"""Committed annotations reload bit for bit, and runs committed before every episode was N arms
still resume."""

from __future__ import annotations

import json
from pathlib import Path

from ecot_annotate.episode import Annotation, StepReasoning
from ecot_annotate.store.annotation_io import (
    FORMAT_VERSION,
    annotation_from_json,
    annotation_to_json,
)


def _step(move: str) -> dict:
    return {"__type__": "StepReasoning", **StepReasoning("t", "p", "s", "r", move, "m").as_dict()}


def _version_1(primitives: list[str], arm_primitives: dict) -> str:
    """A committed annotation as version 1 wrote it: the first arm apart, every arm's for two."""
    body = {
        "__type__": "Annotation",
        "primitives": primitives,
        "arm_primitives": arm_primitives,
        "event_lead": 2,
        "split_at_pauses": False,
        "reasoning": [_step(p) for p in primitives],
        "caption": None,
        "bboxes": None,
        "gripper": None,
        "gripper_reason": None,
        "gripper_fit_rms_px": None,
        "gripper_fit_inliers": None,
        "provenance": {},
    }
    return json.dumps({"version": 1, "key": "k", "annotation": body})


def test_every_arm_round_trips():
    arms = {"left": ["stop", "move up"], "right": ["close gripper", "stop"]}
    key, again = annotation_from_json(annotation_to_json("k", Annotation(arm_primitives=arms)))
    assert key == "k" and again.arm_primitives == arms
    assert json.loads(annotation_to_json("k", again))["version"] == FORMAT_VERSION == 2


def test_version_1_annotations_still_load_as_arms():
    _, one = annotation_from_json(_version_1(["stop", "move up"], {}))
    assert one.arm_primitives == {"arm": ["stop", "move up"]} and one.event_lead == 2
    arms = {"left": ["stop", "stop"], "right": ["move up", "stop"]}
    _, two = annotation_from_json(_version_1(arms["left"], arms))
    assert two.arm_primitives == arms  # the step's move now names both arms
    assert two.moves[0] == "left arm: stop; right arm: move up"


def test_an_annotation_of_another_shape_is_annotated_again_not_a_crash(sample_dir, tmp_path):
    """A committed file holding a field this tool does not know (another version wrote it) is not
    this run's: the rerun annotates that episode again and resumes the others."""
    from ecot_annotate.config import AnnotateConfig
    from ecot_annotate.store.manifest import Manifest
    from pipelines.run import run

    config = AnnotateConfig(input=str(sample_dir), out=str(tmp_path), limit=2)
    first = run(config)
    manifest = Manifest(str(tmp_path))
    path = Path(manifest.committed_paths()[0])
    data = json.loads(path.read_text())
    data["annotation"]["from_another_version"] = 1
    path.write_text(json.dumps(data))
    second = run(config)
    assert (second["episodes_out"], second["episodes_resumed"]) == (2, 1)
    assert second["config_hash"] == first["config_hash"]
    assert "from_another_version" not in path.read_text()
