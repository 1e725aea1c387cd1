"""Texts that pass the schema but fail a text check go into the repair round with the check's
reason, then to the rules; summary.json and `stats` count them per check."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ecot_annotate.cli import main
from tests.reasoners.test_llm_faults import PerEpisode, annotate, answer_of, by_episode, first_ask
from tests.support.llm_servers import (
    ScriptedServer,
    completion,
    episode_data,
    perfect_answer,
    valid,
)


def move_names_then(fixed: bool):
    """The first subtask reason is a move name, as SmolLM2-135M writes it; the repair fixes it
    or answers a move name again."""

    def behaviour(n, request):
        if first_ask(request):
            answer = answer_of(request)
            answer["items"][0]["subtask_reason"] = "tilt down"
            return 200, completion(json.dumps(answer)), 0.0
        asked = request["messages"][-1]["content"]
        assert "items.0.subtask_reason" in asked and "only move names" in asked
        if fixed:
            return valid(request)
        return 200, completion(json.dumps({"items.0.subtask_reason": "stop"})), 0.0

    return behaviour


def test_failing_texts_are_repaired_or_written_by_the_rules(bridge_dir, tmp_path):
    script = PerEpisode([lambda n, req: valid(req), move_names_then(True), move_names_then(False)])
    with ScriptedServer(script) as server:
        llm = annotate(bridge_dir, tmp_path / "a", server.base_url, 3)
    assert llm["validated"] == 3 and llm["field_repairs"] == 2 and llm["fields_from_rules"] == 1
    assert llm["text_checks"]["only_moves"] == {"failed": 2, "repaired": 1, "from_rules": 1}
    assert all(
        c == {"failed": 0, "repaired": 0, "from_rules": 0}
        for name, c in llm["text_checks"].items()
        if name != "only_moves"
    )
    assert llm["fields"] > 3 * 4
    # the scripted texts differ from the rule writer's: every text not from the rules is the model's own
    assert llm["fields_copied"] == 0
    assert llm["fields_own"] == llm["fields"] - llm["fields_from_rules"]
    provenance = {
        (r["fields_repaired"], r["fields_from_rules"]) for r in by_episode(tmp_path / "a").values()
    }
    assert provenance == {
        (None, None),
        ("items.0.subtask_reason", None),
        (None, "items.0.subtask_reason"),
    }
    result = CliRunner().invoke(main, ["stats", str(tmp_path / "a"), "--json"])
    assert result.exit_code == 0, result.output
    texts = json.loads(result.output)["text_checks"]
    assert texts["failing"] == 0 and texts["fields"] > 3 * 4, "the rules wrote what failed twice"
    assert texts["written"]["only_moves"] == llm["text_checks"]["only_moves"]
    table = CliRunner().invoke(main, ["stats", str(tmp_path / "a")]).output
    assert "while writing: only moves" in table and "2 failed, 1 repaired, 1 from rules" in table
    own = llm["fields_own"]
    assert "answer texts: the model's own, passing" in table
    assert f"{own} ({100 * own / llm['fields']:.0f}%)" in table
    assert texts["writers"]["fields_from_rules"] == 1 and texts["writers"]["fields_copied"] == 0


def test_edit_mode_sends_the_rule_writers_notes_and_counts_copies(bridge_dir, tmp_path):
    notes, copies = [], []

    def write(copy: bool):
        def behaviour(n, request):
            user = request["messages"][1]["content"]
            assert "Notes on each move" in user
            note = json.loads(user.split("```json")[2].split("```")[0])
            notes.append(note)
            answer = json.loads(perfect_answer(request))
            if copy:  # the rule writer's task and reach subtask, recased, without final periods
                copies.append(note)
                answer["task"] = episode_data(request)["instruction"].lower()
                for item, move in zip(answer["items"], note["items"], strict=True):
                    item["subtask"] = f"move to the {move['object']}"
            return 200, completion(json.dumps(answer)), 0.0

        return behaviour

    with ScriptedServer(PerEpisode([write(True), write(False)])) as server:
        llm = annotate(bridge_dir, tmp_path / "edit", server.base_url, 2, mode="edit")
    assert llm["validated"] == 2 and llm["fields_from_rules"] == 0
    summary = json.loads((tmp_path / "edit" / "summary.json").read_text())
    assert summary["llm"]["mode"] == "edit"
    # facts, not sentences: each move's name, stage and object (the first Bridge episodes never
    # close the gripper, so every move is on the way to the object)
    for note in notes:
        assert all(set(item) == {"move", "stage", "object"} for item in note["items"])
        assert {item["stage"] for item in note["items"]} == {"reach"}
    # the rule writer's texts back are copies, not the model's own
    assert len(copies) == 1 and llm["fields_copied"] == 1 + len(copies[0]["items"])
    assert llm["fields_own"] == llm["fields"] - llm["fields_copied"]


def test_a_subtask_the_gripper_contradicts_fails():
    from ecot_annotate.reasoners.llm_checks import gripper_failures

    runs = [(0, 1, "move down"), (2, 3, "close gripper"), (4, 5, "move up, close gripper")]

    def answer(*subtasks):
        return {f"items.{i}.subtask": s for i, s in enumerate(subtasks)}

    # SmolLM2-135M, edit mode from notes: the reach subtask kept while the gripper closes
    found = gripper_failures(answer("Reach for the plate.", "Reach for the plate.", "x"), runs, 0)
    assert set(found) == {"items.1.subtask", "items.2.subtask"}
    assert found["items.1.subtask"][0] == "subtask_disagrees_with_gripper"
    assert "taking hold" in found["items.1.subtask"][1]
    good = answer("Reach for the carrot.", "Grasp the carrot.", "Lift the carrot while holding it.")
    assert gripper_failures(good, runs, 0) == {}
    # a gripper primitive looks ahead: the subtask its look-ahead reaches may be the grasp
    early = [(0, 1, "move down, close gripper"), (2, 3, "close gripper")]
    assert gripper_failures(answer("Reach for the carrot.", "Grasp the carrot."), early, 2) == {}
    assert gripper_failures(answer("Reach for the carrot.", "Grasp the carrot."), early, 0)


def test_a_repair_that_echoes_its_problem_is_not_a_fix():
    from ecot_annotate.reasoners.llm_checks import _GRIPPER_REASONS, echoes_problem

    problem = _GRIPPER_REASONS["close gripper outside a grasp subtask"]
    # SmolLM2-135M's repaired subtask, from an embedded run on the Bridge sample
    assert echoes_problem("The gripper closes during this move.", problem)
    assert not echoes_problem("Grasp the cup.", problem)
