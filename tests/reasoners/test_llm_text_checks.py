"""Texts that pass the schema but fail a text check go into the repair round with the check's
reason, then to the rules; summary.json and `stats` count them per check."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ecot_annotate.cli import main
from tests.reasoners.test_llm_faults import PerEpisode, annotate, answer_of, by_episode, first_ask
from tests.support.llm_servers import ScriptedServer, completion, valid


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


def test_edit_mode_sends_the_rule_writers_draft_to_rewrite(bridge_dir, tmp_path):
    drafts, copies = [], []

    def rewrite(copy: bool):
        def behaviour(n, request):
            user = request["messages"][1]["content"]
            assert "Draft reasoning to rewrite" in user
            draft = json.loads(user.split("```json")[2].split("```")[0])
            drafts.append(draft)
            if copy:  # the draft back, only recased and without final periods
                copies.append(draft)
                items = [{k: v.lower().rstrip(".") for k, v in i.items()} for i in draft["items"]]
                return 200, completion(json.dumps({**draft, "items": items})), 0.0
            return valid(request)

        return behaviour

    with ScriptedServer(PerEpisode([rewrite(True), rewrite(False)])) as server:
        llm = annotate(bridge_dir, tmp_path / "edit", server.base_url, 2, mode="edit")
    assert llm["validated"] == 2 and llm["fields_from_rules"] == 0
    # a copy of the draft is the rule writer's text, not the model's own
    assert len(copies) == 1 and llm["fields_copied"] == 1 + 3 * len(copies[0]["items"])
    assert llm["fields_own"] == llm["fields"] - llm["fields_copied"]
    summary = json.loads((tmp_path / "edit" / "summary.json").read_text())
    assert summary["llm"]["mode"] == "edit"
    for draft in drafts:  # the rule writer's own text, one item per move
        assert draft["task"] and all(item["subtask"] for item in draft["items"])
    assert all(d["items"][0]["subtask"].startswith("Move to the ") for d in drafts)
