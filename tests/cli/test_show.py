"""`show --format json`, and colours only when the output is a terminal."""

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ecot_annotate.cli import main


def test_show_json_has_the_tags_and_perception_fields(bridge_run):
    result = CliRunner().invoke(
        main, ["show", str(bridge_run), "--episode", "5", "--step", "3", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["step"] == 3 and record["n_steps"] == 10
    assert (
        " ".join(record["tags"]) == "TASK: PLAN: SUBTASK REASONING: SUBTASK: MOVE REASONING: MOVE:"
    )
    assert record["tags"]["MOVE:"] == record["primitive"]
    assert record["bboxes"] is None and record["gripper_position"] is None
    assert record["reasoning_source"] == "rules"


def test_colours_on_a_terminal_only(bridge_run):
    plain = CliRunner().invoke(main, ["show", str(bridge_run), "--step", "1"])
    assert plain.exit_code == 0 and "\x1b[" not in plain.output
    cli = Path(sys.executable).with_name("ecot-annotate")
    leader, follower = pty.openpty()
    proc = subprocess.run(
        [str(cli), "show", str(bridge_run), "--step", "1"],
        stdout=follower,
        stderr=subprocess.PIPE,
        timeout=120,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert proc.returncode == 0, proc.stderr
    assert b"\x1b[36m\x1b[1mTASK:\x1b[0m" in output
