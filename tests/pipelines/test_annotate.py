"""The offline pipeline end to end on the real Bridge sample and the generated one."""

import json
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ecot_annotate.config import AnnotateConfig, MotionConfig
from ecot_annotate.episode import REASONING_FIELDS
from ecot_annotate.errors import EcotError
from ecot_annotate.stages.validate import NO_DETECTOR
from pipelines.run import run
from tests.support.datasets import write_rlds


def _table(out: Path):
    return pq.read_table(str(out / "parquet")).sort_by(
        [("episode_key", "ascending"), ("step", "ascending")]
    )


def _json(out: Path) -> dict:
    return json.loads((out / "ecot" / "reasonings.json").read_text())


def _check_run(out: Path, episodes: int, steps: int) -> None:
    table = _table(out)
    assert table.num_rows == steps
    rows = table.to_pylist()
    for row in rows:
        for name in REASONING_FIELDS:
            assert row[name].strip(), (row["episode_key"], row["step"], name)
        assert row["chain"].startswith("TASK: ") and "MOVE: " in row["chain"]
        assert row["reasoning_source"] == "rules" and row["config_hash"] and row["tool_version"]
        assert row["image"][:2] == b"\xff\xd8"
    entries = _json(out)
    assert sum(len(v) for v in entries.values()) == episodes
    summary = json.loads((out / "summary.json").read_text())
    assert (
        summary["episodes_in"]
        == summary["episodes_out"] + summary["episodes_quarantined"]
        == episodes
    )
    assert summary["steps_out"] == steps


def test_bridge_gives_250_rows_and_25_entries_keyed_by_the_dataset(bridge_run):
    _check_run(bridge_run, 25, 250)
    table = _table(bridge_run)
    keys = set(
        zip(
            table.column("file_path").to_pylist(),
            table.column("episode_id").to_pylist(),
            strict=True,
        )
    )
    entries = _json(bridge_run)
    assert {(fp, eid) for fp, per in entries.items() for eid in per} == keys
    fp, per = next(iter(entries.items()))
    entry = next(iter(per.values()))
    assert entry["features"]["gripper_position"] is None and entry["features"]["bboxes"] is None
    assert set(table.column("gripper_reason").to_pylist()) == {NO_DETECTOR}  # every step says why
    assert len(entry["features"]["move_primitive"]) == entry["metadata"]["n_steps"] == 10
    assert len(entry["features"]["state_3d"][0]) == 3


def test_generated_sample_end_to_end(sample_run):
    table = _table(sample_run)
    _check_run(sample_run, 6, table.num_rows)
    assert table.num_rows > 6 * 40
    subtasks = set(table.column("subtask").to_pylist())
    assert any(s.startswith("Grasp the ") for s in subtasks) and any(
        s.startswith("Carry the ") for s in subtasks
    )


def test_same_input_twice_gives_identical_output(bridge_dir, bridge_run, tmp_path):
    again = tmp_path / "again"
    run(AnnotateConfig(input=str(bridge_dir), out=str(again), num_shards=3))
    first, second = _table(bridge_run), _table(again)
    assert first.equals(second)
    assert _json(bridge_run) == _json(again)


def test_multi_processing_runner_gives_the_same(bridge_dir, bridge_run, tmp_path):
    out = tmp_path / "mp"
    run(
        AnnotateConfig(
            input=str(bridge_dir),
            out=str(out),
            limit=6,
            beam_args=("--direct_running_mode=multi_processing", "--direct_num_workers=2"),
        )
    )
    got = _table(out)
    assert got.num_rows == 60
    full = _table(bridge_run)
    expected = full.filter(pc.is_in(full.column("episode_key"), got.column("episode_key").unique()))
    assert got.equals(expected)


def test_bad_episodes_are_quarantined_not_fatal(tmp_path, make_episodes):
    good, empty, nan = make_episodes(3)
    empty["steps"] = []
    nan["steps"][2]["observation"]["state"] = np.full(7, np.nan, np.float32)
    root = write_rlds(tmp_path / "data", [good, empty, nan])
    out = tmp_path / "out"
    summary = run(AnnotateConfig(input=str(root), out=str(out)))
    assert (summary["episodes_in"], summary["episodes_out"], summary["episodes_quarantined"]) == (
        3,
        1,
        2,
    )
    lines = [
        json.loads(x)
        for f in (out / "quarantine").glob("*.jsonl")
        for x in f.read_text().splitlines()
    ]
    reasons = sorted(q["error"] for q in lines)
    assert any("zero steps" in r for r in reasons) and any("non-finite" in r for r in reasons)
    assert all(q["stage"] and q["key"] for q in lines)


def test_rerun_with_other_settings_refuses_to_mix(bridge_dir, tmp_path):
    out = tmp_path / "o"
    run(AnnotateConfig(input=str(bridge_dir), out=str(out), limit=2))
    with pytest.raises(EcotError, match="other settings"):
        run(
            AnnotateConfig(
                input=str(bridge_dir), out=str(out), limit=2, motion=MotionConfig(window=3)
            )
        )
