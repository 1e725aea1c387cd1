"""LeRobot datasets written by lerobot 0.6.1 itself (tests/fixtures/lerobot, with the scripts that
wrote them) annotate from the input path alone: `annotate INPUT --out OUT`, every episode, exit 0.

Before, none of them did: the joint-space ones stopped with "the state holds no end-effector pose"
or "the layout of observation.state is not documented", and the v2.1 one died with a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecot_annotate.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lerobot"
DATASETS = [
    "so101",
    "so101_range",
    "bi_so101",
    "aloha",
    "piper",
    "unknown7",
    "state_only",
    "v21_quirks",
    "so101_two_cameras",
]


@pytest.mark.parametrize("name", DATASETS)
def test_a_lerobot_dataset_annotates_from_its_path_alone(name, tmp_path):
    pytest.importorskip("av")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["annotate", str(FIXTURES / name), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    declared = json.loads((FIXTURES / name / "meta" / "info.json").read_text())["total_episodes"]
    assert summary["episodes_out"] == declared and summary["episodes_quarantined"] == 0
    assert summary["steps_out"] == summary["steps_in"] > 0
