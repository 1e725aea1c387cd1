"""The LLM reasoner against a loopback server the test scripts: retries, fallbacks, repair,
structured-output downgrade, and the counts summary.json reports for each."""

from __future__ import annotations

import json

import pyarrow.dataset as pads
import pytest
from llm_servers import ScriptedServer, completion, error, free_port, valid

from ecot_annotate.config import AnnotateConfig, LLMConfig
from ecot_annotate.run import run

EPISODES = 2


def annotate(bridge_dir, out, base_url, **llm) -> dict:
    settings = {"base_url": base_url, "model": "scripted", "timeout_s": 5.0, "max_retries": 2, "cache": False, **llm}
    summary = run(AnnotateConfig(input=str(bridge_dir), out=str(out), limit=EPISODES, reasoner="llm", llm=LLMConfig(**settings)))
    assert summary["episodes_out"] == EPISODES and summary["episodes_quarantined"] == 0
    assert json.loads((out / "summary.json").read_text())["llm"] == summary["llm"]
    return summary["llm"]


def sources(out) -> list[dict]:
    table = pads.dataset(str(out / "parquet"), format="parquet").to_table(columns=["episode_key", "reasoning_source", "reasoning_model", "fallback_reason", "prompt_hash"])
    return table.to_pylist()


def test_valid_answers_are_used(bridge_dir, tmp_path):
    with ScriptedServer(lambda n, req, headers: valid(req)) as server:
        llm = annotate(bridge_dir, tmp_path, server.base_url)
    assert llm["validated"] == EPISODES and llm["fallbacks"] == 0 and llm["requests"] == EPISODES
    assert llm["prompt_tokens"] > 0 and llm["completion_tokens"] > 0
    rows = sources(tmp_path)
    assert {r["reasoning_source"] for r in rows} == {"llm"} and {r["fallback_reason"] for r in rows} == {None}
    assert all(r["prompt_hash"] for r in rows)
    assert server.requests[0]["body"]["response_format"]["type"] == "json_schema"


def test_connection_refused_falls_back(bridge_dir, tmp_path):
    llm = annotate(bridge_dir, tmp_path, f"http://127.0.0.1:{free_port()}/v1", max_retries=1)
    assert llm["fallbacks_by_reason"] == {"connection": EPISODES}
    assert llm["requests"] == 2 * EPISODES and llm["retries"] == EPISODES and llm["validated"] == 0
    rows = sources(tmp_path)
    assert {r["reasoning_source"] for r in rows} == {"fallback"} and {r["reasoning_model"] for r in rows} == {"rules"}
    assert all(r["fallback_reason"].startswith("connection:") for r in rows)


def test_429_then_success_is_retried(bridge_dir, tmp_path):
    with ScriptedServer(lambda n, req, headers: error(429) if n == 0 else valid(req)) as server:
        llm = annotate(bridge_dir, tmp_path, server.base_url)
    assert llm["retries"] == 1 and llm["requests"] == EPISODES + 1
    assert llm["validated"] == EPISODES and llm["fallbacks"] == 0


def test_timeout_retries_then_falls_back(bridge_dir, tmp_path):
    with ScriptedServer(lambda n, req, headers: (*valid(req)[:2], 3.0)) as server:
        llm = annotate(bridge_dir, tmp_path, server.base_url, timeout_s=0.3, max_retries=1)
    assert llm["fallbacks_by_reason"] == {"timeout": EPISODES} and llm["retries"] == EPISODES
    assert llm["requests"] == 2 * EPISODES


def test_server_error_retries_then_falls_back(bridge_dir, tmp_path):
    with ScriptedServer(lambda n, req, headers: error(500)) as server:
        llm = annotate(bridge_dir, tmp_path, server.base_url, max_retries=2)
    assert llm["fallbacks_by_reason"] == {"server_error": EPISODES}
    assert llm["retries"] == 2 * EPISODES and len(server.requests) == 3 * EPISODES == llm["requests"]
    assert all("HTTP 500 after 2 retries" in r["fallback_reason"] for r in sources(tmp_path))


def test_invalid_answer_is_repaired_once(bridge_dir, tmp_path):
    def script(n, req, headers):
        if len(req["messages"]) == 2:  # first ask: an answer that contradicts the primitives
            answer = json.loads(valid(req)[1]["choices"][0]["message"]["content"])
            answer["subtasks"][0]["moves"][0]["move"] = "do a backflip"
            return 200, completion(json.dumps(answer)), 0.0
        return valid(req)

    with ScriptedServer(script) as server:
        llm = annotate(bridge_dir, tmp_path, server.base_url)
    assert llm["repairs"] == EPISODES and llm["validated"] == EPISODES and llm["requests"] == 2 * EPISODES
    repair = server.requests[1]["body"]["messages"]
    assert repair[2]["role"] == "assistant" and "do a backflip" in repair[3]["content"]


def test_garbage_twice_falls_back_with_the_problems(bridge_dir, tmp_path):
    with ScriptedServer(lambda n, req, headers: (200, completion("no idea, sorry"), 0.0)) as server:
        llm = annotate(bridge_dir, tmp_path, server.base_url)
    assert llm["fallbacks_by_reason"] == {"invalid_answer": EPISODES} and llm["repairs"] == EPISODES
    assert len(server.requests) == 2 * EPISODES
    assert all(r["fallback_reason"] == "invalid_answer: after one repair: the answer holds no JSON object" for r in sources(tmp_path))


def test_refused_structured_output_downgrades_to_json_mode(bridge_dir, tmp_path):
    def script(n, req, headers):
        if req.get("response_format", {}).get("type") == "json_schema":
            return error(400, "response_format json_schema is not supported")
        return valid(req)

    with ScriptedServer(script) as server:
        llm = annotate(bridge_dir, tmp_path, server.base_url)
    assert llm["format_downgrades"] == 1 and llm["validated"] == EPISODES
    assert server.requests[-1]["body"]["response_format"] == {"type": "json_object"}


def test_cache_answers_a_rerun_without_requests(bridge_dir, tmp_path):
    with ScriptedServer(lambda n, req, headers: valid(req)) as server:
        first = annotate(bridge_dir, tmp_path / "a", server.base_url, cache=True, cache_dir=str(tmp_path / "cache"))
        second = annotate(bridge_dir, tmp_path / "b", server.base_url, cache=True, cache_dir=str(tmp_path / "cache"))
        forced = annotate(bridge_dir, tmp_path / "c", server.base_url, cache=False, cache_dir=str(tmp_path / "cache"))
    assert first["requests"] == EPISODES and first["cache_hits"] == 0
    assert second["requests"] == 0 and second["cache_hits"] == EPISODES and second["validated"] == EPISODES
    assert forced["requests"] == EPISODES
    assert sources(tmp_path / "a") == sources(tmp_path / "b")


def test_missing_model_is_one_clear_error(bridge_dir, tmp_path):
    from ecot_annotate.errors import EcotError

    with pytest.raises(EcotError, match="--llm-model"):
        run(AnnotateConfig(input=str(bridge_dir), out=str(tmp_path), reasoner="llm", llm=LLMConfig(base_url="http://127.0.0.1:1/v1")))
