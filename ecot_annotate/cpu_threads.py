"""How many threads torch computes on, and how its OpenMP threads wait, for the cores this process has.

torch sizes its thread pool by the machine's cores, not by those this process may run on (a
`taskset`, a container's CPU quota), and its OpenMP threads spin while they wait for one another.
On a busy machine a spinning thread burns the time slice the thread it waits for needs, so a small
model's many short parallel steps slow down far beyond their fair share. So:
- threads: the cores this process may use (its CPU affinity, capped by a cgroup CPU quota), or
  `ECOT_ANNOTATE_THREADS`;
- waiting: passive (`OMP_WAIT_POLICY=PASSIVE`: a waiting thread sleeps) unless `OMP_WAIT_POLICY` is
  set. OpenMP reads it once, when torch loads, so `passive_waiting` runs on importing this package.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from ecot_annotate.errors import EcotError

THREADS_ENV = "ECOT_ANNOTATE_THREADS"
WAIT_ENV = "OMP_WAIT_POLICY"
CPU_MAX = Path("/sys/fs/cgroup/cpu.max")  # cgroup v2: "<quota> <period>" or "max <period>"


def passive_waiting() -> None:
    """Before torch loads: OpenMP threads sleep while they wait, unless the user chose otherwise."""
    os.environ.setdefault(WAIT_ENV, "PASSIVE")


def usable_cores() -> int:
    """The cores this process may run on: its affinity, capped by the cgroup's CPU quota."""
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cores, quota) if quota else cores)


def _cgroup_quota() -> int | None:
    try:
        quota, period = CPU_MAX.read_text().split()[:2]
        return math.ceil(int(quota) / int(period))
    except (OSError, ValueError):  # no cgroup v2 file, or "max": no quota
        return None


def torch_threads() -> int:
    """`ECOT_ANNOTATE_THREADS` when set, else the usable cores."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return usable_cores()
    if not value.isdigit() or int(value) < 1:
        raise EcotError(f"{THREADS_ENV}={value!r}: give a whole number of threads, 1 or more")
    return int(value)


def configure_torch() -> str:
    """Set torch's thread count; returns what it runs with, for a log line."""
    import torch

    threads = torch_threads()
    torch.set_num_threads(threads)
    return f"{threads} threads ({WAIT_ENV} {os.environ.get(WAIT_ENV, 'unset')})"
