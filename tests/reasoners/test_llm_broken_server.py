"""A server that misbehaves without failing outright: a proxy's HTML page with HTTP 200, one
stray 400, and a run whose answers are all cached while the server is down."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ecot_annotate.cli import main
from tests.reasoners.test_llm_faults import PerEpisode, annotate, cli_annotate, rows
from tests.support.llm_servers import PROXY_PAGE, Raw, ScriptedServer, error, free_port, valid

HTML_PAGE = (200, Raw(PROXY_PAGE), 0.0)  # the openai client hands back the page as a str
BROKEN_JSON = (200, Raw(PROXY_PAGE, "application/json"), 0.0)  # the client fails to decode it
RETRY_ONCE = ("--llm-max-retries", "1", "--max-fallback-rate")


def cached_annotate(bridge_dir, out, base_url: str, cache: str):
    """Three episodes through the CLI with the answer cache on, in `cache`."""
    args = ["annotate", str(bridge_dir), "--out", str(out), "--limit", "3", "--reasoner", "llm"]
    args += ["--llm-model", "scripted", "--llm-base-url", base_url, "--llm-cache-dir", cache]
    return CliRunner().invoke(main, args)


def test_an_html_page_with_http_200_falls_back_to_the_rules(bridge_dir, tmp_path):
    script = PerEpisode(
        [lambda n, req: HTML_PAGE, lambda n, req: BROKEN_JSON, lambda n, req: valid(req)]
    )
    with ScriptedServer(script) as server:
        allowed = cli_annotate(bridge_dir, tmp_path / "a", server.base_url, *RETRY_ONCE, "0.9")
        strict = cli_annotate(bridge_dir, tmp_path / "b", server.base_url, *RETRY_ONCE, "0.2")
    assert allowed.exit_code == 0, allowed.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["episodes_quarantined"] == 0 and summary["episodes_out"] == 3
    llm = summary["llm"]
    assert llm["fallbacks_by_reason"] == {"server_error": 2} and llm["validated"] == 1
    assert llm["fallback_rate"] == round(2 / 3, 4)
    assert llm["retries"] == 2, "a proxy's page may pass: retried like a 5xx"
    reasons = {r["fallback_reason"] for r in rows(tmp_path / "a")} - {None}
    assert reasons == {
        "server_error: HTTP 200 with a body that is not a chat completion after 1 retries",
        "server_error: HTTP 200 with a body that is not JSON after 1 retries",
    }
    assert strict.exit_code == 1, strict.output
    assert "67% of episodes fell back to the rules because the LLM service" in strict.output
    assert "Traceback" not in allowed.output + strict.output


def test_one_stray_400_does_not_cost_later_requests_their_schema(bridge_dir, tmp_path):
    def script(n, req, headers):
        return error(400, "upstream hiccup") if n == 0 else valid(req)

    with ScriptedServer(script) as server:
        llm = annotate(bridge_dir, tmp_path, server.base_url, 3, concurrency=1)  # in order
    sent = [r["body"]["response_format"]["type"] for r in server.requests]
    assert sent == ["json_schema", "json_object", "json_schema", "json_schema"]
    assert llm["answers_by_mode"] == {"json_object": 1, "json_schema": 2}
    assert llm["format_downgrades"] == 1 and llm["validated"] == 3


def test_a_fully_cached_rerun_needs_no_server(bridge_dir, tmp_path):
    cache = str(tmp_path / "cache")
    with ScriptedServer(lambda n, req, headers: valid(req)) as server:
        first = cached_annotate(bridge_dir, tmp_path / "a", server.base_url, cache)
        base_url = server.base_url
    assert first.exit_code == 0, first.output
    rerun = cached_annotate(bridge_dir, tmp_path / "b", base_url, cache)
    assert rerun.exit_code == 0, rerun.output
    warnings = [line for line in rerun.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "cannot reach the server" in warnings[0]
    assert "going on with the answers cached" in warnings[0]
    llm = json.loads((tmp_path / "b" / "summary.json").read_text())["llm"]
    assert llm["validated"] == 3 and llm["requests"] == 0 and llm["cache_hits"] == 3
    other = cached_annotate(bridge_dir, tmp_path / "c", f"http://127.0.0.1:{free_port()}/v1", cache)
    assert other.exit_code == 2, "no answers cached from this server: the preflight stops it"
    assert other.output.startswith("error: LLM preflight: cannot reach the server")
