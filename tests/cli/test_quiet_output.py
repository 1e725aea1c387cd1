"""A run prints our own lines and nothing else: no apitools, absl, oneDNN, tfds or Beam INFO;
with no terminal, progress comes as log lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.support.datasets import REPO as REPO_PATH

REPO = str(REPO_PATH)
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
    env.update(PYTHONPATH=REPO, ECOT_ANNOTATE_PROGRESS_S="0")  # a progress line per episode
    out = tmp_path / "run"
    done = _cli(
        "annotate", str(bridge_dir), "--out", str(out), "--format", "parquet,ecot-json,rlds",
        env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    progress = done.stderr.splitlines()  # not on a terminal: log lines instead of a bar
    assert len(progress) == 25, done.stderr
    assert all(
        re.fullmatch(r"progress: \d+/25 episodes \(\d+%\), \d+ steps/s(, ETA [0-9:]+)?", line)
        for line in progress
    ), progress
    assert progress[-1].startswith("progress: 25/25 episodes (100%)")
    *profile, summary = done.stdout.splitlines()  # the profile used, then the summary
    assert profile[0] == "profile bridge_dataset (built-in profile for this dataset)", profile
    assert all(line.startswith("  ") for line in profile[1:]), profile
    assert re.fullmatch(
        rf"annotated 25/25 episodes \(250 steps\) in [0-9.]+s -> {re.escape(str(out))}", summary
    ), done.stdout
