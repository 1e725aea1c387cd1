"""The LLM reasoner against a loopback server the test scripts: retries, fallbacks, whole and
partial repair, structured-output downgrade, the cache, and the counts summary.json reports."""

from __future__ import annotations

import json

import pyarrow.dataset as pads
import pytest
from click.testing import CliRunner

from ecot_annotate.cli import main
from ecot_annotate.config import AnnotateConfig, LLMConfig
from ecot_annotate.errors import EcotError
from pipelines.run import run
from tests.support.llm_servers import (
    ScriptedServer,
    completion,
    episode_data,
    error,
    free_port,
    valid,
)


def annotate(bridge_dir, out, base_url, episodes: int, **llm) -> dict:
    settings = {
        "base_url": base_url,
        "model": "scripted",
        "timeout_s": 5.0,
        "max_retries": 2,
        "cache": False,
        **llm,
    }
    summary = run(
        AnnotateConfig(
            input=str(bridge_dir),
            out=str(out),
            limit=episodes,
            reasoner="llm",
            llm=LLMConfig(**settings),
        )
    )
    assert summary["episodes_out"] == episodes and summary["episodes_quarantined"] == 0
    assert json.loads((out / "summary.json").read_text())["llm"] == summary["llm"]
    return summary["llm"]


def rows(out) -> list[dict]:
    columns = [
        "episode_key",
        "step",
        "reasoning_source",
        "reasoning_model",
        "fallback_reason",
        "prompt_hash",
        "move",
        "primitive",
        "move_reason",
        "answer_mode",
        "fields_repaired",
        "fields_from_rules",
    ]
    return (
        pads.dataset(str(out / "parquet"), format="parquet").to_table(columns=columns).to_pylist()
    )


def by_episode(out) -> dict[str, dict]:
    return {r["episode_key"]: r for r in rows(out)}


class PerEpisode:
    """Each new episode (in arrival order) gets the next behaviour; a behaviour sees its own request count."""

    def __init__(self, behaviours):
        self.behaviours, self.seen, self.calls = behaviours, {}, {}

    def __call__(self, n, request, headers):
        key = json.dumps(episode_data(request), sort_keys=True)
        index = self.seen.setdefault(key, len(self.seen))
        self.calls[key] = self.calls.get(key, -1) + 1
        return self.behaviours[index](self.calls[key], request)


def answer_of(request) -> dict:
    return json.loads(valid(request)[1]["choices"][0]["message"]["content"])


def first_ask(request) -> bool:
    return len(request["messages"]) == 2


def one_item_short_then_valid(n, request):
    if first_ask(request):
        answer = answer_of(request)
        answer["items"] = answer["items"][1:]
        return 200, completion(json.dumps(answer)), 0.0
    return valid(request)


def bad_text_then(fixed: bool):
    """An '@' in the first move reason; the partial repair fixes it, or answers '@' again."""

    def behaviour(n, request):
        if first_ask(request):
            answer = answer_of(request)
            answer["items"][0]["move_reason"] = "Move @ once."
            return 200, completion(json.dumps(answer)), 0.0
        if fixed:
            return valid(request)
        return 200, completion(json.dumps({"items.0.move_reason": "again @"})), 0.0

    return behaviour


BEHAVIOURS = [
    lambda n, req: error(429) if n == 0 else valid(req),  # a 429, then success
    lambda n, req: error(500),  # 5xx on every try
    lambda n, req: (*valid(req)[:2], 2.0),  # slower than the timeout on every try
    lambda n, req: (200, completion("no idea, sorry"), 0.0),  # prose twice
    one_item_short_then_valid,  # fixed by asking for the whole answer again
    bad_text_then(fixed=True),  # fixed by asking for that one text again
    bad_text_then(fixed=False),  # that one text written by the rules
]


def test_faults_retries_fallbacks_and_cache(bridge_dir, tmp_path):
    script = PerEpisode(BEHAVIOURS)
    cached = {
        "timeout_s": 0.5,
        "max_retries": 1,
        "cache": True,
        "cache_dir": str(tmp_path / "cache"),
    }
    n = len(BEHAVIOURS)
    with ScriptedServer(script) as server:
        llm = annotate(bridge_dir, tmp_path / "a", server.base_url, n, **cached)
        assert len(script.seen) == n, "the episodes must differ in their input"
        assert len(server.requests) == llm["requests"]
        rerun = annotate(bridge_dir, tmp_path / "b", server.base_url, n, **cached)
    # every episode: 2 requests (a retry, or a whole or partial repair)
    assert llm["requests"] == 14 and llm["retries"] == 3
    assert llm["repairs"] == 2 and llm["field_repairs"] == 2 and llm["fields_from_rules"] == 1
    assert llm["validated"] == 4 and llm["fallbacks"] == 3
    assert llm["fallbacks_by_reason"] == {"server_error": 1, "timeout": 1, "invalid_answer": 1}
    assert llm["answers_by_mode"] == {"json_schema": 4}
    assert llm["fallback_rate"] == round(2 / 7, 4), "invalid answers are not service failures"
    assert llm["prompt_tokens"] > 0 and llm["completion_tokens"] > 0 and llm["request_seconds"] > 0
    episodes = by_episode(tmp_path / "a")
    reasons = sorted(r["fallback_reason"] or "" for r in episodes.values())
    assert reasons[:4] == [""] * 4
    assert reasons[4:] == [
        "invalid_answer: after one repair: the answer holds no JSON object",
        "server_error: HTTP 500 after 1 retries",
        "timeout: APITimeoutError after 1 retries",
    ]
    assert (
        sorted(r["reasoning_source"] for r in episodes.values()) == ["fallback"] * 3 + ["llm"] * 4
    )
    found = rows(tmp_path / "a")
    assert all(r["move"] == r["primitive"] for r in found)
    first_reasons = {r["move_reason"] for r in found if r["step"] == 0}
    assert "Fixed text for items.0.move_reason." in first_reasons
    assert not any("@" in r["move_reason"] for r in found)
    llm_first = [r for r in found if r["step"] == 0 and r["reasoning_source"] == "llm"]
    by_source = {
        (r["answer_mode"], r["fields_repaired"], r["fields_from_rules"])
        for r in episodes.values()
        if r["reasoning_source"] == "llm"
    }
    assert by_source == {
        ("json_schema", None, None),
        ("json_schema", "items.0.move_reason", None),
        ("json_schema", None, "items.0.move_reason"),
    }, "per-field provenance in every row"
    assert {r["answer_mode"] for r in found if r["reasoning_source"] == "fallback"} == {None}
    from_model = ("The arm must", "Fixed text")  # the scripted server's texts
    assert sum(not r["move_reason"].startswith(from_model) for r in llm_first) == 1, "rules"
    # answers are cached (valid or not), failed requests are not: only the 500 and timeout episodes ask again
    assert rerun["cache_hits"] == 9 and rerun["requests"] == 4
    assert rerun["fallbacks_by_reason"] == llm["fallbacks_by_reason"]


def cli_annotate(bridge_dir, out, base_url, *extra: str):
    args = ["annotate", str(bridge_dir), "--out", str(out), "--limit", "3", "--reasoner", "llm"]
    args += ["--llm-model", "scripted", "--llm-base-url", base_url, "--no-cache", *extra]
    return CliRunner().invoke(main, args)


def test_closed_port_stops_before_any_work_with_one_line(bridge_dir, tmp_path):
    result = cli_annotate(bridge_dir, tmp_path / "out", f"http://127.0.0.1:{free_port()}/v1")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(
        "error: LLM preflight: cannot reach the server at http://127.0.0.1:"
    ), result.output
    assert not (tmp_path / "out" / "summary.json").exists()


def test_service_fallbacks_over_the_limit_exit_1(bridge_dir, tmp_path):
    with ScriptedServer(lambda n, req, headers: error(500)) as server:
        failed = cli_annotate(bridge_dir, tmp_path / "a", server.base_url, "--llm-max-retries", "0")
        allowed = cli_annotate(
            bridge_dir,
            tmp_path / "b",
            server.base_url,
            "--llm-max-retries",
            "0",
            "--max-fallback-rate",
            "1",
        )
    assert len(server.pings) == 2, "one preflight request per run"
    assert failed.exit_code == 1, failed.output
    assert "100% of episodes fell back to the rules because the LLM service failed" in failed.output
    assert allowed.exit_code == 0, allowed.output
    for out in ("a", "b"):
        llm = json.loads((tmp_path / out / "summary.json").read_text())["llm"]
        assert llm["fallback_rate"] == 1.0 and llm["fallbacks_by_reason"] == {"server_error": 3}


def test_refused_structured_output_downgrades_to_json_mode(bridge_dir, tmp_path):
    def script(n, req, headers):
        if req.get("response_format", {}).get("type") == "json_schema":
            return error(400, "response_format json_schema is not supported")
        return valid(req)

    with ScriptedServer(script) as server:
        llm = annotate(bridge_dir, tmp_path, server.base_url, 2, concurrency=1)  # in order
    assert llm["format_downgrades"] == 1 and llm["validated"] == 2 and llm["requests"] == 3
    assert llm["answers_by_mode"] == {"json_object": 2}
    assert server.requests[0]["body"]["response_format"]["type"] == "json_schema"
    assert server.requests[-1]["body"]["response_format"] == {"type": "json_object"}
    found = rows(tmp_path)
    assert {r["reasoning_source"] for r in found} == {"llm"} and {
        r["reasoning_model"] for r in found
    } == {"scripted"}
    assert {r["fallback_reason"] for r in found} == {None} and all(r["prompt_hash"] for r in found)


def test_missing_model_is_one_clear_error(bridge_dir, tmp_path):
    with pytest.raises(EcotError, match="--llm-model"):
        run(
            AnnotateConfig(
                input=str(bridge_dir),
                out=str(tmp_path),
                reasoner="llm",
                llm=LLMConfig(base_url="http://127.0.0.1:1/v1"),
            )
        )
