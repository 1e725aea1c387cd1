"""A run prints our own lines and nothing else: no apitools, absl, oneDNN, tfds or Beam INFO, no
transformers bars; with no terminal, progress comes as log lines.

Each command runs as in a user's plain shell (none of the variables that quiet the libraries set)
with TF_ENABLE_ONEDNN_OPTS=1, so TensorFlow turns oneDNN on and announces it wherever the CPU
allows: the test cannot pass by luck of the hardware.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.support.datasets import REPO as REPO_PATH

REPO = str(REPO_PATH)
NOISY = (
    "TF_CPP_MIN_LOG_LEVEL",
    "TRANSFORMERS_VERBOSITY",
    "HF_HUB_VERBOSITY",
    "HF_HUB_OFFLINE",
    "HF_HUB_DISABLE_PROGRESS_BARS",
)


def _plain_shell(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOISY}
    env.update(PYTHONPATH=REPO, TF_ENABLE_ONEDNN_OPTS="1", **extra)
    return env


def _cli(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from ecot_annotate.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_annotate_on_the_bridge_sample_prints_only_its_own_lines(bridge_dir, tmp_path):
    env = _plain_shell(ECOT_ANNOTATE_PROGRESS_S="0")  # a progress line per episode
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


def test_make_sample_prints_only_its_result(tmp_path):
    done = _cli("make-sample", str(tmp_path), "--episodes", "1", env=_plain_shell())
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines() == [f"wrote 1 episodes to {tmp_path / 'ecot_sample' / '1.0.0'}"]


@pytest.mark.slow
def test_the_embedded_llm_loads_without_bars_or_library_lines(sample_dir, tmp_path):
    done = _cli(
        "annotate", str(sample_dir), "--out", str(tmp_path / "run"), "--limit", "1",
        "--format", "parquet", "--reasoner", "llm", "--llm-backend", "transformers",
        "--llm-max-tokens", "24",  # the model loads and answers; what it writes is not the point
        env=_plain_shell(
            ECOT_ANNOTATE_PROGRESS_S="0",
            ECOT_ANNOTATE_CACHE=str(tmp_path / "cache"),
            ECOT_ANNOTATE_MODELS=str(tmp_path / "models"),  # first use: the GGUF file is converted
        ),
        timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines and all(line.startswith("progress: ") for line in lines), done.stderr
    assert "annotated 1/1 episodes" in done.stdout
    assert re.search(r"; [1-9]\d* requests, 0 retries, 0 cache hits", done.stdout)  # no cache
