"""`score` on the labelled sample and on hand-written labels; `annotate --dry-run` writes nothing."""

import json

import pytest
from click.testing import CliRunner

from ecot_annotate.cli import main
from ecot_annotate.sample.generate import write_sample
from ecot_annotate.sample.truth import VARIANTS

# Subtasks of the generated sample's first episode (seed 0), labelled by hand from its frames;
# the person split the carry in two ("lift", then "carry"), which the rule reasoner does not.
HAND_LABELS = [
    (0, "go to the block"),
    (13, "grasp it"),
    (16, "lift it"),
    (21, "carry it to the bowl"),
    (42, "let go"),
    (45, "move away"),
]
FIRST_EPISODE = "ecot_sample/scene_00000.npy_0"


@pytest.mark.parametrize(
    ("variant", "rate"),
    [
        ("labelled", []),
        ("mm", []),
        pytest.param("rate10", ["--control-hz", "50"], marks=pytest.mark.slow),
    ],
)
def test_score_against_the_sample_ground_truth(tmp_path, variant, rate):
    data = write_sample(tmp_path / "data", episodes=3, seed=0, variant=VARIANTS[variant])
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(main, ["annotate", str(data), "--out", str(out), *rate])
    assert result.exit_code == 0, result.output
    assert ("5 Hz, assumed: pass --control-hz" in result.output) == (not rate)
    result = runner.invoke(main, ["score", str(out)])
    assert result.exit_code == 0, result.output
    assert "scored 3 episodes against dataset ground truth" in result.output
    figures = json.loads((out / "summary.json").read_text())["score"]
    assert figures["boundaries"]["f1"] >= 0.9
    assert figures["primitives"]["accuracy"] >= 0.9
    assert figures["plan_motion_agreement"] >= 0.9
    assert "gripper_px" not in figures  # no gripper was tracked: nothing to measure
    summary = json.loads((out / "summary.json").read_text())
    calibration = summary["motion"]["calibration"]
    assert calibration["translation_unit"] == (1000.0 if variant == "mm" else 1.0)
    if rate:
        assert (calibration["rate_source"], summary["motion"]["window"]) == ("--control-hz", 40)
    else:
        assert calibration["rate_source"] == "assumed"  # the sample's profile states no rate


def test_score_against_hand_labels(sample_run, tmp_path):
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        "".join(
            json.dumps({"episode": FIRST_EPISODE, "step": s, "subtask": t}) + "\n"
            for s, t in HAND_LABELS
        )
    )
    result = CliRunner().invoke(main, ["score", str(sample_run), "--labels", str(labels), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["episodes"] == 1
    found = figures["boundaries"]
    assert (found["true"], found["predicted"], found["matched"]) == (5, 4, 4)  # "lift" is extra
    assert (found["recall"], found["f1"]) == (0.8, 0.8889)
    texts = figures["text_checks"]  # the rule writer's text passes every text check
    assert texts["fields"] > 0 and texts["failing"] == 0, texts
    stored = json.loads((sample_run / "summary.json").read_text())
    assert stored["score_labels"]["against"] == "human labels (labels.jsonl)"


def test_score_refuses_a_dataset_without_truth_in_one_line(bridge_run):
    result = CliRunner().invoke(main, ["score", str(bridge_run)])
    assert result.exit_code != 0
    assert "carries no ground truth" in result.output and "Traceback" not in result.output


def test_dry_run_prints_the_cost_and_writes_nothing(sample_dir, tmp_path):
    out = tmp_path / "never"
    args = ["annotate", str(sample_dir), "--out", str(out), "--dry-run", "--reasoner", "llm"]
    result = CliRunner().invoke(main, [*args, "--llm-model", "remote-model"])
    assert result.exit_code == 0, result.output
    assert not out.exists()
    lines = dict(line.split(None, 1) for line in result.output.splitlines()[1:] if "  " in line)
    assert lines["episodes"].strip() == "6"
    assert lines["LLM"].split()[-1] == "6"
    assert "approximate: 4 characters per token" in result.output


def test_score_tolerance_in_seconds(sample_run, tmp_path):
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        "".join(
            json.dumps({"episode": FIRST_EPISODE, "step": s, "subtask": t}) + "\n"
            for s, t in HAND_LABELS
        )
    )
    args = ["score", str(sample_run), "--labels", str(labels)]
    result = CliRunner().invoke(main, [*args, "--tolerance-s", "0.1", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert (figures["boundary_tolerance_s"], figures["control_hz"]) == (0.1, 5.0)
    assert set(figures["boundaries_at"]) == {"0.5", "1"}
    assert figures["boundaries"]["f1"] <= figures["boundaries_at"]["0.5"]["f1"]
    text = CliRunner().invoke(main, args).output
    assert "subtask boundaries (+-0.5 s, 2.5 steps at 5 Hz)" in text
    assert "subtask boundaries (+-1 s, 5 steps at 5 Hz)" in text
    refused = CliRunner().invoke(main, [*args, "--tolerance-s", "0"])
    assert refused.exit_code != 0 and "--tolerance-s must be positive" in refused.output
