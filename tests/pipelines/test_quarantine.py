"""Faults: a corrupt record and an episode missing a key are quarantined with reasons; the rest is annotated."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from ecot_annotate.sources.rlds import RldsDataset, read_shard
from ecot_annotate.sources.tfrecord_file import write_record

CORRUPT, MISSING = 3, 7  # positions in the shard


def _without_state(record: bytes) -> bytes:
    import tensorflow as tf

    example = tf.train.Example.FromString(record)
    del example.features.feature["steps/observation/state"]
    return example.SerializeToString()


@pytest.fixture(scope="module")
def faulty_dir(bridge_dir, tmp_path_factory):
    """The Bridge sample rewritten as one shard, one record with flipped bytes, one without state."""
    folder = tmp_path_factory.mktemp("faulty") / "bridge_dataset" / "1.0.0"
    folder.mkdir(parents=True)
    for name in ("dataset_info.json", "features.json"):
        shutil.copy(bridge_dir / name, folder / name)
    dataset = RldsDataset.open(str(bridge_dir))
    shard = folder / dataset.shards[0].path.rsplit("/", 1)[-1]
    corrupt_at = None
    with open(shard, "wb") as handle:
        for position, data, _ in read_shard(dataset.shards[0]):
            if position == CORRUPT:
                corrupt_at = handle.tell() + 12 + len(data) // 2
            write_record(handle, _without_state(data) if position == MISSING else data)
    raw = bytearray(shard.read_bytes())
    raw[corrupt_at] ^= 0xFF
    shard.write_bytes(bytes(raw))
    return folder


def test_bad_episodes_are_quarantined_and_counted(faulty_dir, tmp_path):
    from ecot_annotate.cli import main

    out = tmp_path / "out"
    args = ["annotate", str(faulty_dir), "--out", str(out), "--format", "parquet,ecot-json"]
    failed = CliRunner().invoke(main, args)
    assert failed.exit_code == 1, failed.output  # something was quarantined
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes_in"] == 25
    assert summary["episodes_out"] == 23
    assert summary["episodes_quarantined"] == 2
    assert summary["episodes_in"] == summary["episodes_out"] + summary["episodes_quarantined"]

    entries = [
        json.loads(line)
        for path in (out / "quarantine").glob("*.jsonl")
        for line in path.read_text().splitlines()
        if line
    ]
    by_stage = {e["stage"]: e for e in entries}
    assert set(by_stage) == {"read", "decode"}
    assert "CRC" in by_stage["read"]["error"] and by_stage["read"]["key"].endswith(f":{CORRUPT}")
    assert "state" in by_stage["decode"]["error"]
    reasonings = json.loads((out / "ecot" / "reasonings.json").read_text())
    assert sum(len(v) for v in reasonings.values()) == 23

    allowed = CliRunner().invoke(main, [*args, "--allow-quarantine"])
    assert allowed.exit_code == 0, allowed.output
    rerun = json.loads((out / "summary.json").read_text())
    assert (
        rerun["episodes_resumed"] == 23 and rerun["episodes_quarantined"] == 2
    )  # quarantined ones are retried
