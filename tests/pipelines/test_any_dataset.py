"""`annotate --profile auto` on datasets it was not written for: eight Open X-Embodiment layouts
and LeRobot v3.0 / v2.1 folders, every output format, and the failures users met before."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.layouts.lerobot import validate
from pipelines.run import run
from tests.support.datasets import decode_all, write_rlds
from tests.support.oxe_layouts import LAYOUTS, write_layout

ALL_FORMATS = ("parquet", "ecot-json", "rlds", "lerobot")


def _annotate(root: Path, out: Path, formats=ALL_FORMATS, **options) -> tuple[dict, str]:
    said: list[str] = []
    config = AnnotateConfig(input=str(root), out=str(out), formats=formats, **options)
    return run(config, announce=said.append), "\n".join(said)


def _records(folder: Path) -> list:
    import tensorflow as tf

    paths = sorted(str(p) for p in folder.rglob("*.tfrecord*"))
    return [
        tf.train.Example.FromString(r) for r in tf.data.TFRecordDataset(paths).as_numpy_iterator()
    ]


def assert_rlds_keeps_every_original_feature(source: Path, out: Path) -> None:
    """Each output record holds its source record's features bit for bit (plus ours)."""
    originals = _records(source)
    names = {name for example in originals for name in example.features.feature}

    def signature(example) -> tuple:
        feature = example.features.feature
        return tuple(
            (n, feature[n].SerializeToString(deterministic=True) if n in feature else None)
            for n in sorted(names)
        )

    written = _records(out / "rlds")
    assert sorted(map(signature, written)) == sorted(map(signature, originals))


def _steps(out: Path) -> list[dict]:
    return pq.read_table(out / "parquet", columns=["episode_key", "step", "primitive"]).to_pylist()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_auto_annotates_every_layout_into_every_format(name, tmp_path):
    root = write_layout(name, tmp_path / "in")
    summary, said = _annotate(root, tmp_path / "out", ALL_FORMATS)  # float32 depth images too
    assert said.startswith(f"profile {name} (built-in profile for this dataset)")
    assert summary["episodes_in"] == summary["episodes_out"] == 2
    assert summary["episodes_quarantined"] == 0
    rows = _steps(tmp_path / "out")
    assert len(rows) == len({(r["episode_key"], r["step"]) for r in rows}) == 24
    assert sum(r["primitive"] != "stop" for r in rows) >= 16
    entries = json.loads((tmp_path / "out" / "ecot" / "reasonings.json").read_text())
    assert sum(len(v) for v in entries.values()) == 2
    assert validate(tmp_path / "out" / "lerobot")["total_frames"] == 24
    assert_rlds_keeps_every_original_feature(root, tmp_path / "out")


def test_a_dataset_that_documents_itself_is_annotated_with_an_inferred_profile(tmp_path):
    name = "stanford_hydra_dataset_converted_externally_to_rlds"
    root = write_layout(name, tmp_path / "in", dataset_name="my_robot_data")
    summary, said = _annotate(root, tmp_path / "out", ("parquet", "rlds"))
    assert said.startswith("profile my_robot_data (inferred from the dataset)")
    assert summary["episodes_out"] == 2 and summary["profile"] == "my_robot_data"
    assert_rlds_keeps_every_original_feature(root, tmp_path / "out")


def test_an_undocumented_layout_is_annotated_and_says_what_to_set(tmp_path):
    """Before: it stopped before any work with `set xyz_indices, rotation, ...`."""
    root = write_layout("berkeley_autolab_ur5", tmp_path / "in", dataset_name="my_ur5")
    summary, said = _annotate(root, tmp_path / "out", ("parquet",))
    assert summary["episodes_out"] == 2 and summary["episodes_quarantined"] == 0
    assert "observation/robot_state: 15 values in no layout the dataset documents" in said
    assert "the end-effector track is read from the action's world_vector" in said


def test_bad_frames_and_bad_text_are_per_episode_matters(tmp_path):
    """Before: an empty frame was `cannot identify image file <_io.BytesIO ...>`, and a
    non-UTF-8 instruction stopped the whole run with a UnicodeDecodeError."""

    def damage(examples):
        examples[0]["steps"][2]["observation"]["image"] = b""
        for step in examples[1]["steps"]:
            step["language_instruction"] = b"put the \xff block away"

    name = "nyu_franka_play_dataset_converted_externally_to_rlds"
    root = write_layout(name, tmp_path / "in", episodes=3, edit=damage)
    summary, _ = _annotate(root, tmp_path / "out", ("parquet", "rlds"), allow_quarantine=True)
    assert summary["episodes_out"] == 2 and summary["episodes_quarantined"] == 1
    assert summary["quarantine_reasons"] == ["decode: step 2: observation/image is empty (0 bytes)"]
    out = _records(tmp_path / "out" / "rlds")
    raw = {e.features.feature["steps/language_instruction"].bytes_list.value[0] for e in out}
    assert b"put the \xff block away" in raw  # the original bytes, untouched


def test_a_later_episode_with_a_key_already_seen_is_quarantined(tmp_path, make_episodes):
    """Before, it was merged into the first: same reasoning, duplicate Parquet rows."""
    episodes = make_episodes(3)
    first = episodes[0]["episode_metadata"]
    episodes[2]["episode_metadata"].update(
        file_path=first["file_path"], episode_id=first["episode_id"]
    )
    root = write_rlds(tmp_path / "in", episodes)
    summary, _ = _annotate(
        root,
        tmp_path / "out",
        ("parquet", "ecot-json"),
        profile="ecot_sample",
        allow_quarantine=True,
    )
    key = f"{first['file_path']}_{first['episode_id']}"
    assert (summary["episodes_out"], summary["episodes_quarantined"]) == (2, 1)
    (reason,) = summary["quarantine_reasons"]
    assert reason.startswith(f"read: duplicate key: {key} was first read at ") and reason.endswith(
        ":0"
    )
    rows = _steps(tmp_path / "out")
    assert len(rows) == len({(r["episode_key"], r["step"]) for r in rows})
    kept = [e for e in decode_all(root, "ecot_sample") if e.key == key][0]
    assert sum(r["episode_key"] == key for r in rows) == kept.n_steps


@pytest.fixture(scope="module")
def sample_episodes(sample_dir):
    return decode_all(sample_dir, "ecot_sample")[:2]


@pytest.mark.parametrize("version", ["v3.0", "v2.1"])
def test_lerobot_with_auto_needs_no_profile_file(version, sample_episodes, tmp_path):
    pytest.importorskip("av")
    from tests.support.lerobot_datasets import write_lerobot

    names = ["x", "y", "z", "roll", "pitch", "yaw", "gripper"]
    root = write_lerobot(tmp_path / "my_arm", sample_episodes, version, state_names=names)
    summary, said = _annotate(root, tmp_path / "out", ("parquet", "lerobot"), source="lerobot")
    assert said.startswith("profile my_arm (inferred from the dataset)")
    assert "instruction  task table" in said and "10 Hz" in said
    assert summary["episodes_out"] == 2 and summary["episodes_quarantined"] == 0
    steps = sum(ep.n_steps for ep in sample_episodes)
    assert validate(tmp_path / "out" / "lerobot")["total_frames"] == steps
