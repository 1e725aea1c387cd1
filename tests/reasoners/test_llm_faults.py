"""The LLM reasoner against a loopback server the test scripts: retries, fallbacks, repair,
structured-output downgrade, the cache, and the counts summary.json reports for each."""

from __future__ import annotations

import json

import pyarrow.dataset as pads
import pytest

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


def contradicting_then_valid(n, request):
    if len(request["messages"]) == 2:  # first ask: a move that contradicts the primitives
        answer = json.loads(valid(request)[1]["choices"][0]["message"]["content"])
        answer["subtasks"][0]["moves"][0]["move"] = "do a backflip"
        return 200, completion(json.dumps(answer)), 0.0
    return valid(request)


BEHAVIOURS = [
    lambda n, req: error(429) if n == 0 else valid(req),  # a 429, then success
    lambda n, req: error(500),  # 5xx on every try
    lambda n, req: (*valid(req)[:2], 2.0),  # slower than the timeout on every try
    lambda n, req: (200, completion("no idea, sorry"), 0.0),  # prose twice
    contradicting_then_valid,  # fixed by the repair round
]


def test_faults_retries_fallbacks_and_cache(bridge_dir, tmp_path):
    script = PerEpisode(BEHAVIOURS)
    cache = str(tmp_path / "cache")
    with ScriptedServer(script) as server:
        llm = annotate(
            bridge_dir,
            tmp_path / "a",
            server.base_url,
            5,
            timeout_s=0.5,
            max_retries=1,
            cache=True,
            cache_dir=cache,
        )
        assert len(script.seen) == 5, "the five episodes must differ in their input"
        assert len(server.requests) == llm["requests"]
        rerun = annotate(
            bridge_dir,
            tmp_path / "b",
            server.base_url,
            5,
            timeout_s=0.5,
            max_retries=1,
            cache=True,
            cache_dir=cache,
        )
    # 429 ep: 2 requests (1 retry); 500 ep: 2 (1 retry); timeout ep: 2 (1 retry); prose ep: 2 (repair); repaired ep: 2
    assert llm["requests"] == 10 and llm["retries"] == 3 and llm["repairs"] == 2
    assert llm["validated"] == 2 and llm["fallbacks"] == 3
    assert llm["fallbacks_by_reason"] == {"server_error": 1, "timeout": 1, "invalid_answer": 1}
    assert llm["prompt_tokens"] > 0 and llm["completion_tokens"] > 0 and llm["request_seconds"] > 0
    episodes = by_episode(tmp_path / "a")
    reasons = sorted(r["fallback_reason"] or "" for r in episodes.values())
    assert reasons[0] == reasons[1] == ""
    assert reasons[2:] == [
        "invalid_answer: after one repair: the answer holds no JSON object",
        "server_error: HTTP 500 after 1 retries",
        "timeout: APITimeoutError after 1 retries",
    ]
    assert (
        sorted(r["reasoning_source"] for r in episodes.values()) == ["fallback"] * 3 + ["llm"] * 2
    )
    assert all(r["move"] == r["primitive"] for r in rows(tmp_path / "a"))
    # answers are cached (valid or not), failed requests are not: only the 500 and timeout episodes ask again
    assert (
        rerun["cache_hits"] == 5
        and rerun["requests"] == 4
        and rerun["fallbacks_by_reason"] == llm["fallbacks_by_reason"]
    )


def test_connection_refused_falls_back(bridge_dir, tmp_path):
    llm = annotate(bridge_dir, tmp_path, f"http://127.0.0.1:{free_port()}/v1", 2, max_retries=1)
    assert llm["fallbacks_by_reason"] == {"connection": 2}
    assert llm["requests"] == 4 and llm["retries"] == 2 and llm["validated"] == 0
    found = rows(tmp_path)
    assert {r["reasoning_source"] for r in found} == {"fallback"} and {
        r["reasoning_model"] for r in found
    } == {"rules"}
    assert all(
        r["fallback_reason"] == "connection: APIConnectionError after 1 retries" for r in found
    )


def test_refused_structured_output_downgrades_to_json_mode(bridge_dir, tmp_path):
    def script(n, req, headers):
        if req.get("response_format", {}).get("type") == "json_schema":
            return error(400, "response_format json_schema is not supported")
        return valid(req)

    with ScriptedServer(script) as server:
        llm = annotate(bridge_dir, tmp_path, server.base_url, 2)
    assert llm["format_downgrades"] == 1 and llm["validated"] == 2 and llm["requests"] == 3
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
