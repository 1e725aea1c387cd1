"""Resumable runs: kill -9 part-way, rerun, and get every episode exactly once, equal to an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ecot_annotate.sources.tfrecord_file import read_records
from ecot_annotate.store.manifest import Manifest

FORMATS = "parquet,ecot-json,rlds"


def _cli(input_dir: Path, out: Path, formats: str = FORMATS) -> list[str]:
    code = "from ecot_annotate.cli import main; main()"
    return [
        sys.executable,
        "-c",
        code,
        "annotate",
        str(input_dir),
        f"--out={out}",
        f"--format={formats}",
    ]


def _committed(out: Path) -> int:
    return Manifest(str(out)).count() if (out / "manifest").is_dir() else 0


def _run_and_kill(cmd: list[str], when) -> None:
    """Start the CLI, SIGKILL it as soon as `when()` holds; fail if it finished first."""
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        while proc.poll() is None and not when():
            time.sleep(0.002)
        assert proc.poll() is None, "the run finished before it could be killed"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _steps(out: Path):
    table = pq.read_table(out / "parquet").sort_by(
        [("episode_key", "ascending"), ("step", "ascending")]
    )
    return table


def _rlds_records(out: Path) -> dict:
    """Episode key -> tf.train.Example (compared as messages: map order in the bytes is not fixed)."""
    import tensorflow as tf

    records = {}
    for shard in sorted((out / "rlds").glob("*/*/*.tfrecord-*")):
        with open(shard, "rb") as handle:
            for record in read_records(handle):
                example = tf.train.Example.FromString(record.data)
                key = (
                    example.features.feature["ecot_provenance/episode_key"]
                    .bytes_list.value[0]
                    .decode()
                )
                assert key not in records, f"episode {key} written twice"
                records[key] = example
    return records


def _assert_readable_or_absent(out: Path, episodes: int) -> None:
    """What a reader would pick up after a kill is complete: published formats hold every episode."""
    if (out / "parquet").exists():
        assert _steps(out).num_rows == 10 * episodes
    if (out / "ecot" / "reasonings.json").exists():
        data = json.loads((out / "ecot" / "reasonings.json").read_text())
        assert sum(len(v) for v in data.values()) == episodes
    assert not (out / "rlds").exists() or len(_rlds_records(out)) == episodes
    for path in (out / "manifest" / "episodes").glob("*.json"):
        json.loads(path.read_text())  # every committed file is whole


@pytest.mark.slow
def test_kill_and_resume_equals_uninterrupted_run(bridge_dir, tmp_path):
    reference, resumed = tmp_path / "reference", tmp_path / "resumed"
    subprocess.run(_cli(bridge_dir, reference), check=True, capture_output=True)

    _run_and_kill(_cli(bridge_dir, resumed), lambda: _committed(resumed) >= 5)
    done = _committed(resumed)
    assert 5 <= done < 25
    _assert_readable_or_absent(resumed, 25)

    subprocess.run(_cli(bridge_dir, resumed), check=True, capture_output=True)
    summary = json.loads((resumed / "summary.json").read_text())
    assert summary["episodes_in"] == summary["episodes_out"] == 25
    assert summary["episodes_resumed"] >= done  # committed episodes were not annotated again

    ref_steps, out_steps = _steps(reference), _steps(resumed)
    assert out_steps.num_rows == 250
    assert len(set(out_steps.column("episode_key").to_pylist())) == 25
    assert out_steps.equals(ref_steps)
    ref_json = json.loads((reference / "ecot" / "reasonings.json").read_text())
    assert json.loads((resumed / "ecot" / "reasonings.json").read_text()) == ref_json
    assert _rlds_records(resumed) == _rlds_records(reference)
    assert not list(resumed.glob(".staging/*"))


@pytest.mark.slow
def test_kill_while_writing_leaves_previous_outputs_whole(bridge_dir, tmp_path):
    out, formats = tmp_path / "out", "parquet,ecot-json"
    subprocess.run(_cli(bridge_dir, out, formats), check=True, capture_output=True)
    before = _steps(out)
    # every episode is committed, so the rerun only rewrites the formats: kill it in the middle
    _run_and_kill(_cli(bridge_dir, out, formats), lambda: any(out.glob(".staging/*/parquet/*")))
    _assert_readable_or_absent(out, 25)
    subprocess.run(_cli(bridge_dir, out, formats), check=True, capture_output=True)
    assert _steps(out).equals(before)


def test_changed_settings_refuse_to_mix_unless_overwrite(bridge_dir, tmp_path):
    from ecot_annotate.config import AnnotateConfig, MotionConfig
    from ecot_annotate.errors import EcotError
    from pipelines.run import run

    out = tmp_path / "out"
    run(AnnotateConfig(input=str(bridge_dir), out=str(out), limit=3, formats=("ecot-json",)))
    again = run(
        AnnotateConfig(input=str(bridge_dir), out=str(out), limit=3, formats=("ecot-json",))
    )
    assert again["episodes_resumed"] == 3
    other = AnnotateConfig(
        input=str(bridge_dir),
        out=str(out),
        limit=3,
        formats=("ecot-json",),
        motion=MotionConfig(window=3),
    )
    with pytest.raises(EcotError, match="other settings"):
        run(other)
    summary = run(replace(other, overwrite=True))
    assert summary["episodes_resumed"] == 0 and summary["episodes_out"] == 3
