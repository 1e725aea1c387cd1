"""The output folder's run lock: atomic, refused while held, taken over from a dead pid on this host."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from ecot_annotate.store.run_lock import LOCK_NAME, RunLockedError, run_lock
from tests.support.locks import lock_held_elsewhere


def _dead_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def test_second_lock_is_refused_in_one_line_and_released_after(tmp_path):
    with run_lock(str(tmp_path)) as held:
        written = json.loads((tmp_path / LOCK_NAME).read_text())
        assert {k: written[k] for k in ("host", "pid")} == {
            "host": socket.gethostname(),
            "pid": held["pid"],
        }
        with pytest.raises(RunLockedError) as caught, run_lock(str(tmp_path)):
            pass
        message = str(caught.value)
        assert "\n" not in message
        assert f"pid {held['pid']} on host {held['host']} since {held['started']}" in message
        assert str(tmp_path / LOCK_NAME) in message
    assert not (tmp_path / LOCK_NAME).exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_lock_held_by_another_live_process_is_refused(tmp_path):
    with (
        lock_held_elsewhere(tmp_path) as holder,
        pytest.raises(RunLockedError, match=f"pid {holder.pid} on host"),
        run_lock(str(tmp_path)),
    ):
        pass
    with run_lock(str(tmp_path)) as taken:  # killed: its lock is stale now and is taken over
        assert json.loads((tmp_path / LOCK_NAME).read_text())["token"] == taken["token"]


def test_stale_lock_of_a_dead_pid_on_this_host_is_taken_over(tmp_path):
    stale = {
        "host": socket.gethostname(),
        "pid": _dead_pid(),
        "started": "2020-01-01T00:00:00+00:00",
    }
    (tmp_path / LOCK_NAME).write_text(json.dumps(stale))
    with run_lock(str(tmp_path)) as held:
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == held["pid"]
    assert not (tmp_path / LOCK_NAME).exists()


def test_lock_from_another_host_is_never_taken_over(tmp_path):
    other = {"host": "elsewhere", "pid": _dead_pid(), "started": "2020-01-01T00:00:00+00:00"}
    (tmp_path / LOCK_NAME).write_text(json.dumps(other))
    with (
        pytest.raises(RunLockedError, match=f"delete {tmp_path / LOCK_NAME} if that run is gone"),
        run_lock(str(tmp_path)),
    ):
        pass
    assert json.loads((tmp_path / LOCK_NAME).read_text()) == other
