"""Shared fixtures of the review tests: the report tests' headless Chromium (`browser`) and a
generated sample's run."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from tests.inspect.test_report_browser import browser  # noqa: F401  (the report tests' Chromium)


@pytest.fixture
def run(sample_run, tmp_path):
    """A copy of the generated sample's run, for one test to review."""
    copy = tmp_path / "run"
    shutil.copytree(sample_run, copy)
    return copy


@pytest.fixture(scope="session")
def sample_run_dir(tmp_path_factory):
    """`make-sample --episodes 4`, then `annotate` with the default (rules) settings."""
    from ecot_annotate.cli import main

    root = tmp_path_factory.mktemp("review")
    made = CliRunner().invoke(main, ["make-sample", str(root / "sample"), "--episodes", "4"])
    assert made.exit_code == 0, made.output
    args = ["annotate", str(root / "sample" / "ecot_sample" / "1.0.0"), "--out", str(root / "run")]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    return root / "run", args
