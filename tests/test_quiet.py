"""Beam's worker processes get the CLI's log levels, and a user's own Beam flags win."""

from __future__ import annotations

import json

from ecot_annotate import quiet


def test_workers_log_errors_only_but_keep_our_progress_lines(monkeypatch):
    monkeypatch.setitem(quiet._state, "verbosity", 0)
    level, overrides = quiet.worker_log_args(["--runner=DirectRunner"])
    assert level == "--default_sdk_harness_log_level=ERROR"
    assert json.loads(overrides.split("=", 1)[1]) == {"ecot_annotate": "INFO"}
    monkeypatch.setitem(quiet._state, "verbosity", 2)
    assert quiet.worker_log_args([])[0] == "--default_sdk_harness_log_level=INFO"
    assert quiet.worker_log_args(["--default_sdk_harness_log_level=DEBUG"]) == []
