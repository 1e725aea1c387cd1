"""Perception through the whole Beam pipeline, from tiny random models saved to a folder."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ecot_annotate.config import AnnotateConfig, PerceptionConfig
from ecot_annotate.store.run_output import open_steps
from pipelines.run import run
from tests.support import tiny_models


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("perception_models")
    return {
        "grounding-dino": tiny_models.grounding_dino(root / "gd"),
        "owlv2": tiny_models.owlv2(root / "owl"),
        "sam": tiny_models.sam(root / "sam"),
    }


def check_every_step(out, summary) -> None:
    """Each step has a (possibly empty) box list and a gripper position or the reason it has none."""
    assert summary["episodes_quarantined"] == 0, summary["quarantine_reasons"]
    rows = (
        open_steps(out)
        .to_table(
            columns=[
                "episode_key",
                "step",
                "bboxes",
                "gripper_position",
                "gripper_reason",
                "gripper_fit_rms_px",
                "detector",
            ]
        )
        .to_pylist()
    )
    assert len(rows) == summary["steps_in"] > 0
    for row in rows:
        assert row["bboxes"] is not None and row["detector"]
        assert all(isinstance(box["track"], int) for box in row["bboxes"])  # tracked by default
        assert (row["gripper_position"] is None) != (row["gripper_reason"] is None)
        assert (row["gripper_position"] is None) == (row["gripper_fit_rms_px"] is None)
    entries = json.loads((out / "ecot" / "reasonings.json").read_text())
    for episodes in entries.values():
        for entry in episodes.values():
            assert len(entry["features"]["bboxes"]) == entry["metadata"]["n_steps"]
            tracks = entry["features"]["bbox_tracks"]
            assert [len(s) for s in tracks] == [len(s) for s in entry["features"]["bboxes"]]
            for step in entry["features"]["bboxes"]:
                for score, name, box in step:
                    assert isinstance(score, float) and name and len(box) == 4


@pytest.mark.slow
def test_grounding_dino_and_sam_over_the_bridge_sample(bridge_dir, model_dir, tmp_path):
    perception = PerceptionConfig(
        detector="grounding-dino",
        detector_model=str(model_dir["grounding-dino"]),
        segmenter="sam",
        segmenter_model=str(model_dir["sam"]),
        box_threshold=0.0,
        text_threshold=0.0,
        batch_size=16,
    )
    summary = run(
        AnnotateConfig(input=str(bridge_dir), out=str(tmp_path), limit=8, perception=perception)
    )
    check_every_step(tmp_path, summary)
    rows = open_steps(tmp_path).to_table(columns=["bboxes", "segmenter"]).to_pylist()
    assert any(r["bboxes"] for r in rows) and all(r["segmenter"].startswith("sam:") for r in rows)


@pytest.mark.slow
def test_owlv2_over_the_generated_sample_from_the_cli(sample_dir, model_dir, tmp_path):
    from ecot_annotate.cli import main

    args = [
        "annotate",
        str(sample_dir),
        "--out",
        str(tmp_path),
        "--limit",
        "3",
        "--detector",
        "owlv2",
        "--detector-model",
        str(model_dir["owlv2"]),
        "--box-threshold",
        "0.1",
        "--batch-size",
        "8",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    check_every_step(tmp_path, json.loads((tmp_path / "summary.json").read_text()))
    # The sample's true boxes score the tracked boxes (random ones here: this proves the wiring;
    # tests/geometry/test_tracks.py measures the tracker on noisy true boxes).
    result = CliRunner().invoke(main, ["score", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["episodes"] == 3 and set(figures["boxes"]) and "tracks" in figures


def test_missing_weights_stop_the_cli_before_any_work_with_one_line(
    sample_dir, tmp_path, monkeypatch
):
    from ecot_annotate.cli import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = CliRunner().invoke(
        main,
        [
            "annotate",
            str(sample_dir),
            "--out",
            str(tmp_path / "out"),
            "--detector",
            "grounding-dino",
        ],
    )
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert (
        len(lines) == 1
        and "IDEA-Research/grounding-dino-tiny" in lines[0]
        and "--detector-model PATH" in lines[0]
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_detector_on_every_nth_frame_of_a_lerobot_video_decodes_only_those(model_dir, tmp_path):
    """lerobot's own writer made the video; `--detect-every 3` decodes and looks at steps 0, 3, 6...
    and a step between keeps the boxes of the detected step before it."""
    pytest.importorskip("av")
    from pathlib import Path

    from ecot_annotate.cli import main

    dataset = Path(__file__).resolve().parents[1] / "fixtures" / "lerobot" / "so101_two_cameras"
    common = ["--detector", "owlv2", "--detector-model", str(model_dir["owlv2"])]
    common += ["--box-threshold", "0.0", "--format", "parquet,ecot-json"]
    summaries = {}
    for n in (1, 3):
        out = tmp_path / f"every-{n}"
        args = ["annotate", str(dataset), "--out", str(out), "--detect-every", str(n), *common]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        summaries[n] = json.loads((out / "summary.json").read_text())
        check_every_step(out, summaries[n])
    keys = open_steps(tmp_path / "every-1").to_table(["episode_key"]).column(0).to_pylist()
    lengths = [keys.count(key) for key in dict.fromkeys(keys)]
    detected = sum(-(-n // 3) for n in lengths)
    assert summaries[1]["frames"] == {"decoded": sum(lengths), "perceived": sum(lengths)}
    assert summaries[3]["frames"] == {"decoded": detected, "perceived": detected}
    rows = open_steps(tmp_path / "every-3").to_table(["episode_key", "step", "bboxes"]).to_pylist()
    by_key = {(r["episode_key"], r["step"]): r["bboxes"] for r in rows}
    boxes = [(b["label"], b["box"]) for b in by_key[(rows[0]["episode_key"], 0)]]
    assert boxes and [(b["label"], b["box"]) for b in by_key[(rows[0]["episode_key"], 2)]] == boxes
