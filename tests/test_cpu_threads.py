"""torch's threads follow the cores the process may use (affinity, a cgroup quota) unless
ECOT_ANNOTATE_THREADS says otherwise, and OpenMP waits passively unless the user chose: set before
torch loads, in a fresh interpreter as a user's run starts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ecot_annotate import cpu_threads
from ecot_annotate.errors import EcotError
from tests.support.datasets import REPO


def test_threads_are_the_cores_the_process_may_use_capped_by_a_cgroup_quota(tmp_path, monkeypatch):
    monkeypatch.delenv(cpu_threads.THREADS_ENV, raising=False)
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setattr(cpu_threads, "CPU_MAX", tmp_path / "absent")
    assert cpu_threads.torch_threads() == cores
    quota = tmp_path / "cpu.max"
    monkeypatch.setattr(cpu_threads, "CPU_MAX", quota)
    quota.write_text("max 100000\n")  # no quota
    assert cpu_threads.usable_cores() == cores
    quota.write_text("50000 100000\n")  # half a core: one thread
    assert cpu_threads.usable_cores() == 1


def test_the_environment_chooses_the_threads_and_a_bad_value_is_one_line(monkeypatch):
    monkeypatch.setenv(cpu_threads.THREADS_ENV, "3")
    assert cpu_threads.torch_threads() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(cpu_threads.THREADS_ENV, bad)
        with pytest.raises(EcotError, match="ECOT_ANNOTATE_THREADS"):
            cpu_threads.torch_threads()


def _openmp_in_fresh_interpreter(**env: str) -> str:
    """OMP_WAIT_POLICY as torch's OpenMP sees it when `ecot_annotate` is imported first."""
    code = "import ecot_annotate, os, torch; print(os.environ.get('OMP_WAIT_POLICY'))"
    clean = {k: v for k, v in os.environ.items() if k != cpu_threads.WAIT_ENV}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_openmp_waits_passively_unless_the_user_chose():
    assert _openmp_in_fresh_interpreter() == "PASSIVE"
    assert _openmp_in_fresh_interpreter(OMP_WAIT_POLICY="ACTIVE") == "ACTIVE"
