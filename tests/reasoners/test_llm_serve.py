"""End to end: `transformers serve` on loopback with a tiny random chat model, the pipeline on the
Bridge sample with --reasoner llm, then a rerun that the cache answers without a request."""

from __future__ import annotations

import json

import pyarrow.dataset as pads
import pytest
from click.testing import CliRunner

from ecot_annotate.cli import main
from tests.support.llm_servers import TransformersServer, build_tiny_chat_model

pytest.importorskip("fastapi", reason="transformers[serving] is not installed")
pytest.importorskip("uvicorn", reason="transformers[serving] is not installed")


def annotate(bridge_dir, out, server, model_dir, cache) -> dict:
    args = [
        "annotate",
        str(bridge_dir),
        "--out",
        str(out),
        "--reasoner",
        "llm",
        "--llm-model",
        str(model_dir),
    ]
    args += [
        "--llm-base-url",
        server.base_url,
        "--llm-max-tokens",
        "16",
        "--llm-cache-dir",
        str(cache),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return json.loads((out / "summary.json").read_text())


@pytest.mark.slow
def test_transformers_serve_end_to_end(bridge_dir, tmp_path):
    model_dir = build_tiny_chat_model(tmp_path / "tiny-chat")
    cache = tmp_path / "cache"
    server = TransformersServer(model_dir, tmp_path / "hub", tmp_path / "serve.log")
    with server:
        first = annotate(bridge_dir, tmp_path / "a", server, model_dir, cache)
        second = annotate(bridge_dir, tmp_path / "b", server, model_dir, cache)
    assert server.process.poll() is not None, "the server is stopped"
    n = first["episodes_in"]
    assert n == 25 and first["episodes_out"] == n and first["episodes_quarantined"] == 0
    llm = first["llm"]
    assert llm["requests"] >= n and llm["prompt_tokens"] > 0 and llm["completion_tokens"] > 0
    assert llm["validated"] + llm["fallbacks"] == n
    table = pads.dataset(str(tmp_path / "a" / "parquet"), format="parquet").to_table()
    for row in table.select(
        ["episode_key", "reasoning_source", "reasoning_model", "fallback_reason", "prompt_hash"]
    ).to_pylist():
        assert row["prompt_hash"]
        if row["reasoning_source"] == "llm":
            assert row["reasoning_model"] == str(model_dir) and row["fallback_reason"] is None
        else:
            assert (
                row["reasoning_source"] == "fallback"
                and row["reasoning_model"] == "rules"
                and row["fallback_reason"]
            )
    assert second["llm"]["requests"] == 0 and second["llm"]["cache_hits"] == llm["requests"]
    assert second["llm"]["fallbacks_by_reason"] == llm["fallbacks_by_reason"]
