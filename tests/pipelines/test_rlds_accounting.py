"""RLDS accounting through the whole run: what comes in is what dataset_info.json declares, damage
outside any record is reported as damage, and a deleted shard is its declared episodes
quarantined by index. On a generated one-shard dataset (the Bridge sample's cases are in
test_fault_matrix)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner

from ecot_annotate.cli import main

DECLARED = 4


def _dataset(tmp_path: Path) -> tuple[Path, Path]:
    from ecot_annotate.sample.generate import write_sample

    root = write_sample(tmp_path / "in", episodes=DECLARED, seed=0, shards=1)
    return root, next(root.glob("*.tfrecord-*"))


def _annotate(root: Path, out: Path) -> tuple[int, str, dict]:
    args = ["annotate", str(root), "--out", str(out), "--format", "parquet"]
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output, json.loads((out / "summary.json").read_text())


def _quarantined(out: Path) -> list[dict]:
    lines = (out / "quarantine").glob("*.jsonl")
    return [json.loads(line) for path in lines for line in path.read_text().splitlines() if line]


def test_bytes_appended_to_a_shard_are_damage_not_a_phantom_episode(tmp_path):
    root, shard = _dataset(tmp_path)
    size = shard.stat().st_size
    shard.write_bytes(shard.read_bytes() + random.Random(1).randbytes(3000))
    code, output, summary = _annotate(root, tmp_path / "out")
    assert code == 0, output
    assert summary["episodes_declared"] == summary["episodes_in"] == DECLARED
    assert (summary["episodes_out"], summary["episodes_quarantined"]) == (DECLARED, 0)
    assert summary["damaged_spans"] == 1
    (entry,) = _quarantined(tmp_path / "out")
    assert entry["stage"] == "damage"
    assert entry["key"] == f"{shard}:bytes {size}-{size + 3000}"
    assert entry["error"] == "corrupt record length header: damage outside the declared records"
    assert "1 damaged span(s) outside any episode" in output and "Traceback" not in output


def test_deleting_the_only_shard_quarantines_the_declared_episodes_by_index(tmp_path):
    root, shard = _dataset(tmp_path)
    shard.unlink()
    code, output, summary = _annotate(root, tmp_path / "out")
    assert code == 1, output
    assert "no shards match" not in output
    assert (summary["episodes_in"], summary["episodes_out"]) == (DECLARED, 0)
    assert summary["episodes_quarantined"] == DECLARED
    keys = sorted(q["key"] for q in _quarantined(tmp_path / "out"))
    assert keys == [f"{shard}:{n}" for n in range(DECLARED)]
    assert f"{DECLARED} episode(s) quarantined" in output
