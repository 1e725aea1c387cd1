"""A planted API key must not reach any output file, cache entry, log line or message, even when
the server echoes it back in its errors or inside a valid answer."""

from __future__ import annotations

import json
import logging
import uuid

import pyarrow.dataset as pads
from click.testing import CliRunner

from ecot_annotate.cli import main
from tests.reasoners.test_llm_faults import PerEpisode
from tests.support.llm_servers import ScriptedServer, completion, error, valid

ENV = "ECOT_TEST_LLM_KEY"


def test_planted_key_never_leaks(bridge_dir, tmp_path, monkeypatch, caplog, capfd):
    key = f"sk-planted-{uuid.uuid4().hex}"
    monkeypatch.setenv(ENV, key)
    caplog.set_level(logging.DEBUG)
    script = PerEpisode(
        [
            lambda n, req: error(401, f"invalid api key {key}"),
            lambda n, req: error(400, f"cannot use key {key} with this response_format"),
            lambda n, req: valid(req),
        ]
    )
    out, cache = tmp_path / "out", tmp_path / "cache"
    with ScriptedServer(script) as server:
        args = [
            "annotate",
            str(bridge_dir),
            "--out",
            str(out),
            "--limit",
            "3",
            "--reasoner",
            "llm",
            "--llm-model",
            "scripted",
        ]
        args += [
            "--llm-base-url",
            server.base_url,
            "--llm-api-key-env",
            ENV,
            "--llm-cache-dir",
            str(cache),
            "--max-fallback-rate",
            "1",
        ]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert {r["headers"].get("authorization") for r in server.requests} == {f"Bearer {key}"}, (
        "the key must be sent"
    )
    assert "1 validated, 2 fell back to rules (rejected 2)" in result.output
    captured = capfd.readouterr()
    for name, text in (
        ("cli output", result.output),
        ("logs", caplog.text),
        ("stdout", captured.out),
        ("stderr", captured.err),
    ):
        assert key not in text, f"key found in {name}"
    files = [p for folder in (out, cache) for p in folder.rglob("*") if p.is_file()]
    assert len(files) > 5
    leaked = [str(p) for p in files if key.encode() in p.read_bytes()]
    assert leaked == []
    assert any(b"***" in p.read_bytes() for p in (out / "parquet").glob("*.parquet")), (
        "the echoed key is redacted in fallback_reason"
    )


def test_a_key_echoed_inside_a_valid_answer_never_reaches_a_file(bridge_dir, tmp_path, monkeypatch):
    key = f"sk-echoed-{uuid.uuid4().hex}"
    monkeypatch.setenv(ENV, key)

    def echo(n, req, headers):
        answer = json.loads(valid(req)[1]["choices"][0]["message"]["content"])
        answer["items"][0]["move_reason"] = f"Move now, {key}."
        return 200, completion(json.dumps(answer)), 0.0

    out, cache = tmp_path / "out", tmp_path / "cache"
    with ScriptedServer(echo) as server:
        args = ["annotate", str(bridge_dir), "--out", str(out), "--limit", "2"]
        args += ["--reasoner", "llm", "--llm-model", "scripted", "--llm-base-url", server.base_url]
        args += ["--llm-api-key-env", ENV, "--llm-cache-dir", str(cache)]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "2 validated" in result.output and key not in result.output
    files = [p for folder in (out, cache) for p in folder.rglob("*") if p.is_file()]
    assert [str(p) for p in files if key.encode() in p.read_bytes()] == []
    table = pads.dataset(str(out / "parquet"), format="parquet").to_table().to_pylist()
    assert {r["move_reason"] for r in table if r["step"] == 0} == {"Move now, ***."}
