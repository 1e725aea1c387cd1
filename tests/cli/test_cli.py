"""The CLI: annotate, show and make-sample, and one-line errors for bad input."""

from click.testing import CliRunner

from ecot_annotate.cli import main


def test_annotate_and_show(bridge_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(main, ["annotate", str(bridge_dir), "--out", str(out), "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "annotated 3/3 episodes (30 steps)" in result.output
    shown = runner.invoke(main, ["show", str(out), "--episode", "1", "--step", "2"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert "step 2 (steps 0-9)" in lines[0]
    assert lines[1].startswith("instruction: ")
    assert [line.split(":")[0].strip() for line in lines[2:]] == [
        "TASK",
        "PLAN",
        "SUBTASK REASONING",
        "SUBTASK",
        "MOVE REASONING",
        "MOVE",
    ]


def test_errors_are_one_line_not_tracebacks(bridge_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["annotate", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert (
        "error: " in result.output
        and "is neither a LeRobot dataset (no meta/info.json) nor an RLDS" in result.output
    )
    assert "Traceback" not in result.output
    result = runner.invoke(
        main, ["annotate", str(bridge_dir), "--out", str(tmp_path / "o"), "--profile", "nonesuch"]
    )
    assert result.exit_code == 2 and "neither a file nor a built-in profile" in result.output
    result = runner.invoke(main, ["show", str(tmp_path)])
    assert result.exit_code == 2 and "no annotation output" in result.output


def test_quarantine_sets_the_exit_code(tmp_path, make_episodes):
    from tests.support.datasets import write_rlds

    good, empty = make_episodes(2)
    empty["steps"] = []
    root = write_rlds(tmp_path / "d", [good, empty])
    runner = CliRunner()
    result = runner.invoke(main, ["annotate", str(root), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "1 episode(s) quarantined" in result.output
    result = runner.invoke(
        main, ["annotate", str(root), "--out", str(tmp_path / "o"), "--allow-quarantine"]
    )
    assert result.exit_code == 0


def test_bad_option_values_are_refused_in_one_line(sample_dir, tmp_path):
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder")
    out = str(tmp_path / "o")
    cases = [
        (["--control-hz", "nan"], "--control-hz must be a positive number of Hz, got nan"),
        (["--control-hz", "inf"], "--control-hz must be a positive number of Hz, got inf"),
        (["--control-hz", "0"], "--control-hz must be a positive number of Hz, got 0.0"),
        (["--limit", "-3"], "--limit must be at least 1, got -3"),
        (["--format", ""], "--format names no format; choose from "),
        (["--format", " , "], "--format names no format; choose from "),
        (["--num-shards", "-1"], "--num-shards must be 0 (the runner decides) or more, got -1"),
    ]
    runner = CliRunner()
    for options, message in cases:
        result = runner.invoke(main, ["annotate", str(sample_dir), "--out", out, *options])
        assert result.exit_code == 2, (options, result.output)
        assert result.output.startswith(f"error: {message}"), (options, result.output)
        assert len(result.output.splitlines()) == 1, (options, result.output)
    result = runner.invoke(main, ["annotate", str(sample_dir), "--out", str(a_file)])
    assert result.exit_code == 2, result.output
    assert result.output == f"error: --out {a_file} is a file; name a folder\n"
    assert a_file.read_text() == "not a folder"
    result = runner.invoke(main, ["annotate", str(sample_dir), "--out", out, "--limit", "-3", "--dry-run"])  # fmt: skip
    assert result.output == "error: --limit must be at least 1, got -3\n"
    assert not (tmp_path / "o").exists()
