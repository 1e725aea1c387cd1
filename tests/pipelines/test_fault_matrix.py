"""Faults found by trying to break a run, each reproduced: nothing lost, nothing mixed.

Every case asserts the counts (episodes_in = declared = out + quarantined), the exit code and the
one-line message. Inputs are copies of the Bridge sample (never the sample itself) or generated
datasets; runs are shared between assertions to keep the module quick.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecot_annotate.sources.rlds import RldsDataset, index_shard

DECLARED = 25  # the Bridge sample's dataset_info.json
FAST = "parquet,ecot-json"


def _bridge_copy(bridge_dir: Path, folder: Path) -> tuple[Path, Path]:
    root = folder / "bridge_dataset" / "1.0.0"
    shutil.copytree(bridge_dir, root)
    return root, next(root.glob("*.tfrecord-*"))


def _annotate(
    root: Path | str, out: Path, *extra: str, formats: str = FAST
) -> tuple[int, str, dict | None]:
    from ecot_annotate.cli import main

    args = ["annotate", str(root), "--out", str(out), "--format", formats, *extra]
    result = CliRunner().invoke(main, args)
    summary = out / "summary.json"
    return (
        result.exit_code,
        result.output,
        json.loads(summary.read_text()) if summary.is_file() else None,
    )


def _counts(summary: dict) -> tuple[int, int, int]:
    """(in, out, quarantined), after checking that what came in is what the dataset declares."""
    assert summary["episodes_in"] == summary["episodes_declared"]
    assert summary["episodes_in"] == summary["episodes_out"] + summary["episodes_quarantined"]
    return summary["episodes_in"], summary["episodes_out"], summary["episodes_quarantined"]


def _quarantined(out: Path) -> list[dict]:
    lines = (out / "quarantine").glob("*.jsonl")
    return [json.loads(line) for path in lines for line in path.read_text().splitlines() if line]


def _episodes_by_format(out: Path) -> dict[str, list[str]]:
    """The episode keys each output format in OUT holds, sorted."""
    from tensorflow.core.example import example_pb2

    from ecot_annotate.sources.tfrecord_file import read_records
    from ecot_annotate.store.run_output import episode_keys

    found: dict[str, list[str]] = {}
    if (out / "parquet").is_dir():
        found["parquet"] = sorted(episode_keys(out))
    if (out / "ecot").is_dir():
        entries = json.loads((out / "ecot" / "reasonings.json").read_text())
        found["ecot-json"] = sorted(f"{fp}_{eid}" for fp, eps in entries.items() for eid in eps)
    if (out / "rlds").is_dir():
        keys = []
        for shard in sorted((out / "rlds").rglob("*.tfrecord-*")):
            with open(shard, "rb") as handle:
                for record in read_records(handle):
                    feature = example_pb2.Example.FromString(record.data).features.feature
                    keys.append(feature["ecot_provenance/episode_key"].bytes_list.value[0].decode())
        found["rlds"] = sorted(keys)
    return found


def _error_line(output: str) -> str:
    """The one error line of a refused run (the profile block printed before it aside)."""
    (line,) = [x for x in output.splitlines() if x.startswith("error: ")]
    assert "Traceback" not in output
    return line


def _record_offsets(root: Path) -> list[int]:
    return [ref.offset for ref in index_shard(RldsDataset.open(str(root)).shards[0])]


def test_corrupt_length_header_loses_one_episode_not_the_rest(bridge_dir, tmp_path):
    root, shard = _bridge_copy(bridge_dir, tmp_path)
    offsets = _record_offsets(root)
    raw = bytearray(shard.read_bytes())
    raw[offsets[12] + 3] ^= 0x01
    shard.write_bytes(bytes(raw))
    code, output, summary = _annotate(root, tmp_path / "out")
    assert code == 1
    assert _counts(summary) == (DECLARED, 24, 1)
    (entry,) = _quarantined(tmp_path / "out")
    assert entry["key"].endswith(":12") and entry["stage"] == "read"
    assert entry["error"] == (
        f"corrupt record length header; bytes {offsets[12]}-{offsets[13]} unreadable"
    )
    assert "1 episode(s) quarantined" in output


def test_truncated_shard_quarantines_every_missing_record(bridge_dir, tmp_path):
    root, shard = _bridge_copy(bridge_dir, tmp_path)
    offsets = _record_offsets(root)
    shard.write_bytes(shard.read_bytes()[: offsets[12] + 500])
    code, output, summary = _annotate(root, tmp_path / "out")
    assert code == 1
    assert _counts(summary) == (DECLARED, 12, 13)
    lost = sorted(int(q["key"].rsplit(":", 1)[1]) for q in _quarantined(tmp_path / "out"))
    assert lost == list(range(12, DECLARED))
    assert "13 episode(s) quarantined" in output


def test_empty_shard_is_every_declared_episode_quarantined(bridge_dir, tmp_path):
    root, shard = _bridge_copy(bridge_dir, tmp_path)
    shard.write_bytes(b"")
    code, output, summary = _annotate(root, tmp_path / "out")
    assert code == 1
    assert _counts(summary) == (DECLARED, 0, DECLARED)
    assert summary["quarantine_reasons"] == [
        f"read: the file is empty; dataset_info.json declares {DECLARED}"
    ]
    assert f"annotated 0/{DECLARED} episodes" in output


GARBAGE = {
    "features.json random bytes": ("features.json", b"\xff\xfe" + os.urandom(200)),
    "features.json another object": ("features.json", b'{"hello": [1,2,3]}'),
    "features.json null": ("features.json", b"null"),
    "dataset_info.json garbage": ("dataset_info.json", b"\x00garbage{{"),
}


@pytest.mark.parametrize("case", sorted(GARBAGE))
def test_garbage_metadata_is_one_line_naming_the_file(case, bridge_dir, tmp_path):
    name, data = GARBAGE[case]
    root = tmp_path / "bridge_dataset" / "1.0.0"
    shutil.copytree(bridge_dir, root, ignore=shutil.ignore_patterns("*.tfrecord-*"))
    (root / "bridge_dataset-train.tfrecord-00000-of-00001").write_bytes(b"")
    (root / name).write_bytes(data)
    code, output, summary = _annotate(root, tmp_path / "out")
    assert code == 2 and summary is None
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {root / name}"), output


def test_export_finds_episodes_whose_file_path_starts_with_a_dot(make_episodes, tmp_path):
    from ecot_annotate.cli import main
    from tests.support.datasets import write_rlds

    episodes = make_episodes(3)
    for i, episode in enumerate(episodes):
        episode["episode_metadata"]["file_path"] = f"./data/ep{i}.npy"
    root = write_rlds(tmp_path / "in", episodes)
    code, _, summary = _annotate(root, tmp_path / "run")
    assert code == 0 and _counts(summary) == (3, 3, 0)
    exported = tmp_path / "as.json"
    result = CliRunner().invoke(
        main, ["export", str(tmp_path / "run"), "--to", "ecot-json", str(exported)]
    )
    assert result.exit_code == 0, result.output
    assert "exported 3 episodes" in result.output and "not exported" not in result.output
    entries = json.loads(exported.read_text())
    assert sorted(entries) == [f"./data/ep{i}.npy" for i in range(3)]


def test_rerun_with_another_limit_and_format_extends_and_never_mixes(
    bridge_dir, tmp_path, monkeypatch
):
    root, shard = _bridge_copy(bridge_dir, tmp_path)
    out = tmp_path / "out"
    code, _, first = _annotate(root, out, formats="parquet,ecot-json,rlds")
    assert code == 0 and _counts(first) == (DECLARED, DECLARED, 0)

    code, output, second = _annotate(root, out, "--limit", "5", formats="parquet")
    assert code == 0, output
    assert (
        f"extending the run in {out}: formats parquet, ecot-json, rlds over all episodes "
        "(an earlier run wrote them; --overwrite starts afresh)"
    ) in output.splitlines()
    assert second["formats"] == ["parquet", "ecot-json", "rlds"]
    assert _counts(second) == (DECLARED, DECLARED, 0)
    assert second["episodes_resumed"] == DECLARED  # nothing annotated twice
    held = _episodes_by_format(out)
    assert set(held) == {"parquet", "ecot-json", "rlds"}
    assert all(keys == held["parquet"] for keys in held.values())
    assert len(held["parquet"]) == DECLARED

    monkeypatch.chdir(tmp_path)  # the same input by a relative path is the same run
    code, output, third = _annotate(Path("bridge_dataset/1.0.0"), out, formats="parquet")
    assert code == 0, output
    assert third["episodes_resumed"] == DECLARED and third["config_hash"] == first["config_hash"]

    other, other_shard = _bridge_copy(bridge_dir, tmp_path / "other")
    other_shard.write_bytes(other_shard.read_bytes()[:-100])  # another dataset: other content
    code, output, _ = _annotate(other, out)
    assert code == 2
    line = _error_line(output)
    assert line.startswith(f"error: {out} holds a run made with other settings: input (sha256:")
    assert line.endswith("; choose another --out or pass --overwrite")
    assert json.loads((out / "summary.json").read_text()) == third  # refused: nothing touched


def test_second_run_into_the_same_out_stops_at_once(bridge_dir, tmp_path):
    import socket

    from ecot_annotate.store.run_lock import LOCK_NAME
    from tests.support.locks import lock_held_elsewhere

    out = tmp_path / "out"
    out.mkdir()
    with lock_held_elsewhere(out) as holder:
        code, output, summary = _annotate(bridge_dir, out)
    assert code == 2 and summary is None
    line = _error_line(output)
    assert line.startswith(
        f"error: another run is writing this output folder: pid {holder.pid} on host "
        f"{socket.gethostname()} since "
    )
    assert line.endswith(f"delete {out / LOCK_NAME} if that run is gone")
    assert not (out / ".staging").exists() and not (out / "manifest").exists()


@pytest.mark.slow
def test_a_frame_the_detector_fails_on_costs_only_its_own_episode(make_episodes, tmp_path):
    from tests.support import tiny_models
    from tests.support.datasets import write_rlds

    episodes = make_episodes(4)
    for episode in episodes:  # a few frames each keep the models' calls few
        episode["steps"] = episode["steps"][:6]
        episode["steps"][-1]["is_last"] = episode["steps"][-1]["is_terminal"] = True
    garbled = "put the " + " ".join(f"x{i}" for i in range(80)) + " block on the plate"
    for step in episodes[1]["steps"]:
        step["language_instruction"] = garbled  # one phrase longer than the detector's text
    for step in episodes[3]["steps"]:
        step["language_instruction"] = "stop"  # no object to prompt with: its frames stop early
    root = write_rlds(tmp_path / "in", episodes)
    steps = [len(e["steps"]) for e in episodes]
    model = tiny_models.owlv2(tmp_path / "owl")
    batch = str(sum(steps))  # one batch holds every frame of every episode
    code, output, summary = _annotate(
        root,
        tmp_path / "out",
        "--detector",
        "owlv2",
        "--detector-model",
        str(model),
        "--batch-size",
        batch,
    )
    assert code == 1
    assert _counts(summary) == (4, 2, 2)
    entry, no_objects = sorted(_quarantined(tmp_path / "out"), key=lambda q: q["key"])
    assert entry["key"] == "ecot_sample/scene_00001.npy_1" and entry["stage"] == "detect"
    assert entry["error"].startswith(f"inference failed on {steps[1]} frame(s): step ")
    assert "ValueError: " in entry["error"]
    assert no_objects["key"] == "ecot_sample/scene_00003.npy_3"
    assert no_objects["stage"] == "vocabulary" and "name no object" in no_objects["error"]
