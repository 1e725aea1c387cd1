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
    placed = record["subtask_placed_by"]
    assert placed["start"] <= 3 and placed["kind"] in {"reach", "grasp", "carry", "act"}
    assert set(placed) == {"start", "kind", "arm", "signals", "open_steps"}


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


def test_only_passing_shows_checked_text_and_says_in_one_line_what_fails(bridge_run, tmp_path):
    from tests.support.run_builders import write_known_run

    shown = CliRunner().invoke(main, ["show", str(bridge_run), "--step", "3", "--only-passing"])
    assert shown.exit_code == 0 and "SUBTASK REASONING:" in shown.output, shown.output
    run = write_known_run(tmp_path / "run")
    hidden = CliRunner().invoke(main, ["show", str(run), "--episode", "c", "--only-passing"])
    assert hidden.exit_code == 0, hidden.output
    assert hidden.output.count("\n") == 1 and "TASK:" not in hidden.output
    assert (
        "episode c step 0: not shown, 1 of its 5 texts fail the text checks: subtask names none of: table"
        in hidden.output
    )
    clean = CliRunner().invoke(main, ["show", str(run), "--episode", "d", "--only-passing"])
    assert "SUBTASK: wait, holding still" in clean.output
