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
    """`make-sample --episodes 4`, then `annotate` with the default (rules) settings, with one
    chain wrong (the first episode's move reasons name the wrong direction on one motion,
    sample/plant.py), so that the queue has a flagged episode to show."""
    from ecot_annotate.cli import main
    from ecot_annotate.sample.plant import WRONG_DIRECTION, plant_chains
    from ecot_annotate.store.run_output import episode_keys

    root = tmp_path_factory.mktemp("review")
    made = CliRunner().invoke(main, ["make-sample", str(root / "sample"), "--episodes", "4"])
    assert made.exit_code == 0, made.output
    args = ["annotate", str(root / "sample" / "ecot_sample" / "1.0.0"), "--out", str(root / "run")]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    first = episode_keys(root / "run")[0]
    plant_chains(str(root / "run"), {first: WRONG_DIRECTION})
    again = CliRunner().invoke(main, args)  # writes every format from the committed chains
    assert again.exit_code == 0, again.output
    return root / "run", args
