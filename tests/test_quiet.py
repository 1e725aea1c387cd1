"""Beam's worker processes get the CLI's log levels, and a user's own Beam flags win; TensorFlow's
C++ start-up lines are filtered from the process's stderr, whatever the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ecot_annotate import quiet
from tests.support.datasets import REPO

ABSL_START = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796443363.729954    8831 port.cc:153] oneDNN custom operations are on.\n"
    "I0000 00:00:1796443363.799486    8831 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.\n"
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild.\n"
    "W0000 00:00:1796443363.8    8831 gpu_device.cc:2] Cannot dlopen some GPU libraries.\n"
    "E0000 00:00:1796443363.9    8831 op_kernel.cc:1] something real went wrong\n"
    "a line of our own\n"
)


def test_absl_info_and_warning_lines_are_dropped_errors_and_other_lines_kept():
    assert quiet.absl_filtered(ABSL_START, 0) == (
        "E0000 00:00:1796443363.9    8831 op_kernel.cc:1] something real went wrong\n"
        "a line of our own\n"
    )
    with_warnings = quiet.absl_filtered(ABSL_START, 1)
    assert "Cannot dlopen" in with_warnings and "oneDNN" not in with_warnings


def test_importing_tensorflow_after_configure_prints_nothing_with_onednn_on():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(PYTHONPATH=str(REPO), TF_ENABLE_ONEDNN_OPTS="1")
    code = (
        "import sys\n"
        "from ecot_annotate import quiet\n"
        "quiet.configure(0)\n"
        "import tensorflow as tf\n"
        "print('ours', file=sys.stderr)\n"
        "print(tf.constant(2).numpy())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("2\n", "ours\n")


def test_workers_log_errors_only_but_keep_our_progress_lines(monkeypatch):
    monkeypatch.setitem(quiet._state, "verbosity", 0)
    level, overrides = quiet.worker_log_args(["--runner=DirectRunner"])
    assert level == "--default_sdk_harness_log_level=ERROR"
    assert json.loads(overrides.split("=", 1)[1]) == {"ecot_annotate": "INFO"}
    monkeypatch.setitem(quiet._state, "verbosity", 2)
    assert quiet.worker_log_args([])[0] == "--default_sdk_harness_log_level=INFO"
    assert quiet.worker_log_args(["--default_sdk_harness_log_level=DEBUG"]) == []
