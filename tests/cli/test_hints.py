"""What a new user meets first: every option explained, inputs told apart, and errors that say
what is wrong and what to do (a missing path, a LeRobot folder read as RLDS, a run without Parquet)."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from ecot_annotate.cli import main
from ecot_annotate.errors import InputError
from ecot_annotate.sources.detect import resolve_source


def _lerobot_folder(root):
    (root / "meta").mkdir(parents=True)
    info = {"codebase_version": "v3.0", "features": {}, "splits": {"train": "0:1"}}
    (root / "meta" / "info.json").write_text(json.dumps(info))
    return root


def test_every_option_of_every_command_has_help_text():
    missing = []
    for name, command in main.commands.items():
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden and not param.help:
                missing.append(f"{name} {param.opts[0]}")
    assert missing == []
    annotate_help = CliRunner().invoke(main, ["annotate", "--help"]).output
    assert "RLDS" in annotate_help and "LeRobot" in annotate_help


def test_the_source_is_told_from_the_folder(bridge_dir, tmp_path):
    assert resolve_source(str(bridge_dir)) == "rlds"
    assert resolve_source(str(_lerobot_folder(tmp_path / "lr"))) == "lerobot"
    with pytest.raises(InputError, match="does not exist"):
        resolve_source(str(tmp_path / "nowhere"))
    with pytest.raises(
        InputError, match=r"is not a dataset folder itself, but .*/1.0.0 is an RLDS"
    ):
        resolve_source(str(bridge_dir.parent))
    with pytest.raises(InputError, match="pass --source lerobot or leave --source auto"):
        resolve_source(str(tmp_path / "lr"), "rlds")


def test_a_lerobot_folder_needs_no_source_flag_and_a_wrong_one_gets_a_hint(tmp_path):
    folder = _lerobot_folder(tmp_path / "lr")
    runner = CliRunner()
    auto = runner.invoke(main, ["annotate", str(folder), "--out", str(tmp_path / "o")])
    assert auto.exit_code == 2 and "info.json: 'data_path' is missing" in auto.output  # LeRobot
    wrong = runner.invoke(
        main, ["annotate", str(folder), "--out", str(tmp_path / "o"), "--source", "rlds"]
    )
    assert wrong.exit_code == 2
    assert "is a LeRobot dataset (meta/info.json)" in wrong.output
    assert "--source lerobot" in wrong.output


@pytest.mark.parametrize("command", ["annotate", "show", "stats", "report"])
def test_a_missing_path_is_said_not_to_exist(command, tmp_path):
    missing = str(tmp_path / "nowhere")
    args = {
        "annotate": ["annotate", missing, "--out", str(tmp_path / "o")],
        "show": ["show", missing],
        "stats": ["stats", missing],
        "report": ["report", missing, "--html", str(tmp_path / "h")],
    }[command]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {missing} does not exist"


def _ecot_json_only_run(bridge_dir, out):
    args = ["annotate", str(bridge_dir), "--out", str(out), "--limit", "2", "--format", "ecot-json"]
    made = CliRunner().invoke(main, args)
    assert made.exit_code == 0, made.output
    assert not (out / "parquet").exists()
    return out


def test_a_run_without_parquet_is_shown_and_counted_from_its_manifest(bridge_dir, tmp_path):
    out = _ecot_json_only_run(bridge_dir, tmp_path / "run")
    runner = CliRunner()

    shown = runner.invoke(main, ["show", str(out), "--episode", "1", "--step", "2"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert "step 2 (steps 0-" in lines[0] and lines[1].strip().startswith("TASK:")
    as_json = json.loads(
        runner.invoke(main, ["show", str(out), "--step", "2", "--format", "json"]).output
    )
    reasonings = json.loads((out / "ecot" / "reasonings.json").read_text())
    by_key = {f"{fp}_{i}": e for fp, by_id in reasonings.items() for i, e in by_id.items()}
    entries = list(by_key.values())
    entry = by_key[as_json["episode"]]
    assert as_json["n_steps"] == entry["metadata"]["n_steps"]
    assert as_json["tags"]["MOVE:"] == entry["reasoning"]["2"]["move"]
    assert as_json["primitive"] == entry["features"]["move_primitive"][2]

    stats = runner.invoke(main, ["stats", str(out), "--json"])
    assert stats.exit_code == 0, stats.output
    figures = json.loads(stats.output)
    assert figures["episodes"] == 2
    assert figures["steps"] == sum(e["metadata"]["n_steps"] for e in entries)

    report = runner.invoke(main, ["report", str(out), "--html", str(tmp_path / "html")])
    assert report.exit_code == 2
    assert "report needs the frames, which only the parquet output holds" in report.output
    assert f"ecot-annotate export {out} --to parquet {out / 'parquet'}" in report.output


def test_a_run_without_parquet_gets_it_by_export_and_then_a_report(bridge_dir, tmp_path):
    out = _ecot_json_only_run(bridge_dir, tmp_path / "run")
    runner = CliRunner()
    hint = runner.invoke(main, ["report", str(out), "--html", str(tmp_path / "html")]).output
    command = hint.split("`")[1].split()  # the command the hint names, run as given
    assert command[:2] == ["ecot-annotate", "export"]
    exported = runner.invoke(main, command[1:])
    assert exported.exit_code == 0, exported.output
    assert sorted(p.name for p in (out / "parquet").iterdir())[0].endswith(".parquet")
    report = runner.invoke(main, ["report", str(out), "--html", str(tmp_path / "html")])
    assert report.exit_code == 0, report.output
    assert (tmp_path / "html" / "index.html").is_file()


def test_a_relative_input_is_recorded_as_an_absolute_path(bridge_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(bridge_dir.parent)
    out = tmp_path / "run"
    made = CliRunner().invoke(
        main, ["annotate", bridge_dir.name, "--out", str(out), "--limit", "1"]
    )
    assert made.exit_code == 0, made.output
    assert json.loads((out / "summary.json").read_text())["input"] == str(bridge_dir.resolve())
