"""Quality figures (`stats`) checked against a run whose every step the test wrote."""

import json

from click.testing import CliRunner

from ecot_annotate.cli import main
from ecot_annotate.inspect.quality import primitive_kind, run_stats
from ecot_annotate.text.plan_motion import DISAGREEMENT_KINDS, step_disagreements
from tests.support.run_builders import EXPECTED, write_known_run


def test_stats_json_matches_the_known_run(tmp_path):
    run = write_known_run(tmp_path / "run")
    result = CliRunner().invoke(main, ["stats", str(run), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    for key, value in EXPECTED.items():
        assert figures[key] == value, key


def test_residuals_are_read_from_the_gripper_fit_provenance(tmp_path):
    figures = run_stats(write_known_run(tmp_path / "run", residuals_as="provenance"))
    assert figures["gripper"]["residual_column"] == "gripper_fit"
    assert figures["gripper"]["residual_px"] == {
        "n": 3,
        "median": 2.5,
        "p90": 12.5,
        "max": 15.0,
    }  # a 2.5, c 15, d 0.6


def test_stats_table_names_every_section(tmp_path):
    run = write_known_run(tmp_path / "run")
    result = CliRunner().invoke(main, ["stats", str(run)])
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.output  # no colour codes when not a terminal
    for text in (
        "episodes annotated",
        "episodes by fallback",
        "fallback: schema",
        "steps without boxes",
        "2 (18%)",
        "2.50 / 13.00",
        "steps disagreeing",
        "3 (27%)",
        "episodes flagged",
    ):
        assert text in result.output, text


def test_runs_without_perception_or_residuals_say_not_measured(bridge_run):
    figures = run_stats(bridge_run)
    assert figures["episodes"] == 25 and figures["steps"] == 250
    assert (
        figures["boxes"]["detector_ran"] is False and figures["boxes"]["steps_not_detected"] == 250
    )
    assert figures["gripper"]["residual_px"] is None and figures["gripper"]["tracked_episodes"] == 0
    assert sum(figures["primitives"]["steps_by_primitive"].values()) == 250
    assert figures["reasoning"]["episodes_by_source"] == {"rules": 25}
    assert figures["disagreements"]["steps"] == 0  # the rule reasoner writes the primitive as MOVE


def test_disagreement_rules():
    assert step_disagreements("move left", "move left", "reach the cup") == []
    assert step_disagreements("move left", "move right", "reach the cup") == [DISAGREEMENT_KINDS[0]]
    assert (
        step_disagreements("move down, close gripper", "move down, close gripper", "Grasp the cup.")
        == []
    )
    assert step_disagreements("close gripper", "close gripper", "Move to the cup.") == [
        DISAGREEMENT_KINDS[1]
    ]
    assert step_disagreements("open gripper", "open gripper", "Carry the cup.") == [
        DISAGREEMENT_KINDS[2]
    ]
    assert [
        primitive_kind(p)
        for p in (
            "move left, close gripper",
            "open gripper",
            "stop",
            "tilt up",
            "move up, rotate clockwise",
        )
    ] == ["close", "open", "stop", "rotate", "move"]


def test_stats_checks_the_texts_of_a_run_written_without_text_check_counts(tmp_path):
    """A run of an earlier version (no `llm.text_checks` in summary.json) is measured all the same."""
    run = write_known_run(tmp_path / "run")
    summary = json.loads((run / "summary.json").read_text())
    assert "text_checks" not in json.dumps(summary)
    figures = run_stats(run)
    assert figures["text_checks"]["failing"] == 5 and figures["text_checks"]["written"] is None
    table = CliRunner().invoke(main, ["stats", str(run)]).output
    assert "texts failing a check" in table and "5 (11%)" in table
    assert "failing: plan out of order" in table and "while writing" not in table


def test_the_rule_writer_passes_every_text_check_on_the_bridge_sample(bridge_run):
    texts = run_stats(bridge_run)["text_checks"]
    assert texts["fields"] > 400 and texts["failing"] == 0, texts
