"""A run prints our own lines and nothing else: no apitools, absl, oneDNN, tfds or Beam INFO."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOISY = ("TF_CPP_MIN_LOG_LEVEL", "TRANSFORMERS_VERBOSITY", "HF_HUB_VERBOSITY")


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from ecot_annotate.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_annotate_on_the_bridge_sample_prints_only_its_own_lines(bridge_dir, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in NOISY}
    env["PYTHONPATH"] = REPO
    out = tmp_path / "run"
    done = _cli(
        "annotate", str(bridge_dir), "--out", str(out), "--format", "parquet,ecot-json,rlds",
        env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert re.fullmatch(
        rf"annotated 25/25 episodes \(250 steps\) in [0-9.]+s -> {re.escape(str(out))}\n",
        done.stdout,
    ), done.stdout
