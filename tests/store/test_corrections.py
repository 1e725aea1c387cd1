"""The corrections layer: a hand-written corrections.jsonl, read by every reader of a run."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from ecot_annotate.episode import Annotation, Box, StepReasoning
from ecot_annotate.errors import InputError
from ecot_annotate.store.correction_lines import Line
from ecot_annotate.store.corrections import (
    Corrections,
    append,
    apply_line,
    corrections_path,
    read_lines,
    run_config_hash,
)
from ecot_annotate.store.run_output import episode_keys, episode_table


def _annotation(subtasks: list[str]) -> Annotation:
    steps = [StepReasoning("t", "p", s, f"why {s}", "move left", "because") for s in subtasks]
    boxes = [[Box("cup", 0.9, (1, 2, 3, 4), track=7), Box("bowl", 0.8, (5, 6, 7, 8), track=8)]]
    return Annotation(
        arm_primitives={"arm": ["move left"] * len(subtasks)},
        reasoning=steps,
        bboxes=boxes * len(subtasks),
        gripper=np.zeros((len(subtasks), 2)),
    )


def _line(**change) -> Line:
    return Line.parse({"time": "2026-01-01T00:00:00+00:00", "reviewer": "ann", "episode": "e", "config_hash": "h", **change})  # fmt: skip


def test_a_field_edit_sets_the_text_over_its_steps_and_a_move_sets_the_primitive():
    ann = _annotation(["a"] * 5)
    apply_line(ann, _line(field="move", steps=[1, 2], value="move up"))
    apply_line(ann, _line(field="move_reason", steps=[2, 2], value="to lift <it>"))
    assert ann.moves == ["move left", "move up", "move up", "move left", "move left"]
    assert [r.move for r in ann.reasoning] == ann.moves
    assert [r.move_reason for r in ann.reasoning] == ["because"] * 2 + ["to lift <it>"] + ["because"] * 2  # fmt: skip


def test_a_subtask_start_moves_the_boundary_either_way():
    later = _annotation(["a", "a", "b", "b", "b"])
    apply_line(later, _line(subtask_start=4, subtask="b"))
    assert [r.subtask for r in later.reasoning] == ["a", "a", "a", "a", "b"]
    assert later.reasoning[3].subtask_reason == "why a"
    earlier = _annotation(["a", "a", "b", "b", "b"])
    apply_line(earlier, _line(subtask_start=1, subtask="b"))
    assert [r.subtask for r in earlier.reasoning] == ["a", "b", "b", "b", "b"]
    new = _annotation(["a", "a", "b", "b", "b"])
    apply_line(new, _line(subtask_start=3, subtask="c"))
    assert [r.subtask for r in new.reasoning] == ["a", "a", "b", "c", "c"]


def test_a_box_is_deleted_or_relabelled_by_track_at_its_step():
    ann = _annotation(["a"] * 2)
    apply_line(ann, _line(box={"step": 0, "track": 7}, action="delete"))
    apply_line(ann, _line(box={"step": 1, "track": 8}, action="relabel", label="plate"))
    assert [b.label for b in ann.bboxes[0]] == ["bowl"]
    assert [b.label for b in ann.bboxes[1]] == ["cup", "plate"]


def test_a_box_is_resized_and_a_track_relabelled_or_deleted_at_every_step():
    ann = _annotation(["a"] * 3)
    apply_line(ann, _line(box={"step": 1, "track": 7}, action="resize", xyxy=[0, 1, 10, 11]))
    assert [b.box for b in ann.bboxes[1]] == [(0.0, 1.0, 10.0, 11.0), (5, 6, 7, 8)]
    assert [b.box for b in ann.bboxes[0]] == [(1, 2, 3, 4), (5, 6, 7, 8)]
    apply_line(ann, _line(track=7, action="relabel", label="mug"))
    assert [[b.label for b in boxes] for boxes in ann.bboxes] == [["mug", "bowl"]] * 3
    apply_line(ann, _line(track=8, action="delete"))
    assert [[b.label for b in boxes] for boxes in ann.bboxes] == [["mug"]] * 3
    assert ann.bboxes[1][0].box == (0.0, 1.0, 10.0, 11.0)
    untracked = _annotation(["a"] * 2)
    untracked.bboxes = [[Box("cup", 0.9, (1, 2, 3, 4))]] * 2
    apply_line(untracked, _line(track=0, action="delete"))  # a track names tracked boxes only
    assert [len(boxes) for boxes in untracked.bboxes] == [1, 1]


def test_a_step_out_of_range_is_one_line_error_and_the_other_lines_still_apply(caplog):
    with pytest.raises(InputError, match="names step 9, but the episode has 2 steps"):
        apply_line(_annotation(["a"] * 2), _line(field="plan", steps=[0, 9], value="x"))
    lines = [_line(field="plan", steps=[0, 9], value="x"), _line(field="plan", steps=[1, 1], value="y")]  # fmt: skip
    with caplog.at_level("WARNING", logger="ecot_annotate"):
        ann = Corrections(lines, "h").apply("e", _annotation(["a"] * 2))
    assert [r.plan for r in ann.reasoning] == ["p", "y"]
    assert [r.getMessage() for r in caplog.records] == [
        "warning: correction of episode 'e' names step 9, but the episode has 2 steps (0-1); that line is not applied"
    ]


def test_latest_line_wins_stale_lines_are_listed_not_applied():
    lines = [
        _line(field="plan", steps=[0, 1], value="first"),
        _line(field="plan", steps=[0, 0], value="second"),
        _line(field="plan", steps=[1, 1], value="other run", config_hash="old"),
    ]
    corrections = Corrections(lines, "h")
    out = corrections.apply("e", _annotation(["a"] * 2))
    assert [r.plan for r in out.reasoning] == ["second", "first"]
    assert corrections.stale == [lines[2]]
    assert (
        corrections.counts()["stale_lines"] == 1 and corrections.review("e").status == "corrected"
    )
    corrections = Corrections([*lines, _line(verdict="reject", reason="wrong object")], "h")
    assert corrections.apply("e", _annotation(["a"])) is None and corrections.rejected == {"e"}


def test_an_edit_made_on_an_older_version_is_kept_as_a_conflict(tmp_path):
    first = append(tmp_path, _line(field="move", steps=[3, 5], value="move up", version=0))
    second = append(tmp_path, _line(field="move", steps=[5, 6], value="stop", reviewer="bo", version=0))  # fmt: skip
    elsewhere = append(tmp_path, _line(field="move", steps=[9, 9], value="stop", version=0))
    assert first.conflict is None and elsewhere.conflict is None
    assert second.conflict.reviewer == "ann" and second.conflict.version == 0
    assert len(read_lines(corrections_path(tmp_path))) == 3
    review = Corrections.load(tmp_path, "h").review("e")
    assert review.conflicts == [second] and review.version == 3
    ann = Corrections.load(tmp_path, "h").apply("e", _annotation(["a"] * 10))
    assert ann.moves[5] == "move up" and ann.moves[6] == "move left"


# --- every reader of a finished run ---------------------------------------------------------


@pytest.fixture
def corrected_run(sample_run, tmp_path):
    """A copy of the sample run with a hand-written corrections.jsonl: the first episode rejected,
    the second's subtask boundary moved and a move reason edited."""
    run = tmp_path / "run"
    shutil.copytree(sample_run, run)
    keys = episode_keys(run)
    config_hash = run_config_hash(run)
    rows = episode_table(run, keys[1], ["step", "subtask"]).column("subtask").to_pylist()
    second = next(t for t in range(1, len(rows)) if rows[t] != rows[t - 1])
    lines = [
        {
            "time": "2026-01-02T10:00:00+00:00",
            "reviewer": "ann",
            "episode": keys[0],
            "config_hash": config_hash,
            "verdict": "reject",
            "reason": "wrong object",
        },  # fmt: skip
        {
            "time": "2026-01-02T10:01:00+00:00",
            "reviewer": "ann",
            "episode": keys[1],
            "config_hash": config_hash,
            "subtask_start": second + 2,
            "subtask": rows[second],
        },  # fmt: skip
        {
            "time": "2026-01-02T10:02:00+00:00",
            "reviewer": "ann",
            "episode": keys[1],
            "config_hash": config_hash,
            "field": "move_reason",
            "steps": [0, 3],
            "value": "Checked by a person.",
        },  # fmt: skip
        {
            "time": "2026-01-02T10:03:00+00:00",
            "reviewer": "ann",
            "episode": keys[2],
            "config_hash": "0ld",
            "verdict": "reject",
            "reason": "stale",
        },  # fmt: skip
    ]
    path = corrections_path(run)
    path.parent.mkdir()
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return run, keys, second, rows[second], rows[second - 1]


def test_show_reads_through_the_corrections(corrected_run):
    from ecot_annotate.cli import main

    run, keys, second, _, before = corrected_run
    assert keys[0] not in episode_keys(run) and keys[0] in episode_keys(run, corrected=False)
    assert keys[2] in episode_keys(run)  # a stale reject does not apply
    result = CliRunner().invoke(main, ["show", str(run), "--episode", keys[1], "--step", str(second), "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["tags"]["SUBTASK:"] == before and "Checked by a person." not in result.output
    rejected = CliRunner().invoke(main, ["show", str(run), "--episode", keys[0]])
    assert rejected.exit_code == 2 and "was rejected in review (wrong object)" in rejected.output
    first = CliRunner().invoke(main, ["show", str(run), "--episode", keys[1], "--format", "json"])
    assert json.loads(first.output)["tags"]["MOVE REASONING:"] == "Checked by a person."


def test_stats_counts_the_review(corrected_run):
    from ecot_annotate.inspect.quality import run_stats

    run, keys, *_ = corrected_run
    figures = run_stats(run)
    assert figures["episodes"] == len(keys) - 1
    assert figures["review"] == {"reviewed": 2, "accepted": 0, "corrected": 1, "rejected": 1, "stale_lines": 1, "conflicts": 0}  # fmt: skip


def test_train_loads_the_corrected_chains_without_rejected_episodes(corrected_run):
    from ecot_annotate.train.data import Shards

    run, keys, *_ = corrected_run
    shards = Shards(run)
    assert keys[0] not in shards.episode_keys()
    chains = {r["step"]: r["chain"] for r in shards.rows([keys[1]])}
    assert "MOVE REASONING: Checked by a person." in chains[0]
    assert "Checked by a person." not in chains[4]


@pytest.mark.parametrize("fmt", ["ecot-json", "parquet", "rlds", "lerobot"])
def test_every_export_format_applies_the_corrections(corrected_run, tmp_path, fmt):
    import pyarrow.dataset as pads

    from ecot_annotate.cli import main

    run, keys, second, moved, before = corrected_run
    target = tmp_path / f"as-{fmt}"
    result = CliRunner().invoke(main, ["export", str(run), "--to", fmt, str(target)])
    assert result.exit_code == 0, result.output
    assert f"exported {len(keys) - 1} episodes" in result.output
    assert f"  - rejected in review (1): {keys[0]}\n" in result.output
    if fmt == "ecot-json":
        exported = json.loads(target.read_text())
        entries = {f"{fp}_{eid}": e for fp, eps in exported.items() for eid, e in eps.items()}
        assert set(entries) == set(keys[1:])
        reasoning = entries[keys[1]]["reasoning"]
        assert reasoning["0"]["move_reason"] == "Checked by a person."
        assert reasoning[str(second + 1)]["subtask"] == before
        assert reasoning[str(second + 2)]["subtask"] == moved
        return
    if fmt == "rlds":
        import tensorflow_datasets as tfds

        folder = next(target.glob("*/*"))
        ds = tfds.builder_from_directory(str(folder)).as_dataset(split="train")
        first_reasons = [next(iter(e["steps"]))["ecot"]["move_reason"].numpy().decode() for e in ds]
        assert len(first_reasons) == len(keys) - 1
        assert first_reasons.count("Checked by a person.") == 1
        return
    folder = target if fmt == "parquet" else target / "data"
    table = pads.dataset(str(folder), format="parquet").to_table()
    names = table.schema.names
    if fmt == "parquet":
        rows = [r for r in table.to_pylist() if r["episode_key"] == keys[1]]
        assert {r["episode_key"] for r in table.to_pylist()} == set(keys[1:])
        by_step = {r["step"]: r for r in rows}
        assert by_step[0]["move_reason"] == "Checked by a person."
        assert by_step[second + 1]["subtask"] == before and by_step[second + 2]["subtask"] == moved
    else:
        assert "language_persistent" in names or "language_events" in names, names
        text = json.dumps(table.to_pylist(), default=str)
        assert "Checked by a person." in text


def test_a_rerun_of_annotate_leaves_the_corrections_byte_identical(corrected_run):
    from ecot_annotate.store.run_config import recorded_config
    from pipelines.run import run as annotate

    run, *_ = corrected_run
    before = corrections_path(run).read_bytes()
    config = recorded_config(str(run))
    annotate(dataclasses.replace(config, out=str(run)))
    annotate(dataclasses.replace(config, out=str(run), overwrite=True))
    assert corrections_path(run).read_bytes() == before


def test_report_reads_through_the_corrections(corrected_run, tmp_path):
    from ecot_annotate.inspect.report import build_report

    run, keys, *_ = corrected_run
    index = build_report(run, tmp_path / "html")
    page = index.read_text()
    assert keys[0] not in page and all(key in page for key in keys[1:])
    pages = [p.read_text() for p in sorted((tmp_path / "html" / "episodes").glob("*.html"))]
    assert len(pages) == len(keys) - 1
    assert sum("Checked by a person." in p for p in pages) == 1


def test_what_conflicts():
    move = _line(field="move", steps=[3, 5], value="x")
    assert move.conflicts_with(_line(field="move", steps=[5, 9], value="y"))
    assert not move.conflicts_with(_line(field="move", steps=[6, 9], value="y"))
    assert not move.conflicts_with(_line(field="plan", steps=[3, 5], value="y"))
    boundary = _line(subtask_start=4, subtask="b")
    assert boundary.conflicts_with(_line(field="subtask", steps=[0, 0], value="y"))
    assert not boundary.conflicts_with(move)
    assert _line(verdict="accept").conflicts_with(_line(verdict="reject", reason="r"))
    box = _line(box={"step": 2, "track": 7}, action="delete")
    assert box.conflicts_with(_line(box={"step": 2, "track": 7}, action="relabel", label="cup"))
    assert not box.conflicts_with(_line(box={"step": 3, "track": 7}, action="delete"))
