"""The embedded LLM backend through the whole pipeline (RunInference batches episodes): a tiny
random chat model whose decoding xgrammar constrains to each episode's schema, so even random
weights give answers that validate; the run is offline and the model folder a local one."""

from __future__ import annotations

import json

import pyarrow.dataset as pads
import pytest
from click.testing import CliRunner

from ecot_annotate.cli import main
from tests.support.llm_servers import build_tiny_chat_model

pytest.importorskip("xgrammar", reason="the embedded LLM backend needs xgrammar")

EPISODES = 3


def test_episodes_reach_the_model_in_batches_of_the_batch_size():
    """Not Beam's adaptive batching, which starts at one episode and grows only with timings."""
    from ecot_annotate.config import AnnotateConfig, LLMConfig
    from ecot_annotate.stages import steps
    from pipelines.batched import EpisodeHandler

    llm = LLMConfig(backend="transformers", batch_size=4)
    config = AnnotateConfig(input="x", out="y", reasoner="llm", llm=llm)
    (step,) = [s for s in steps(config) if s.name == "reasoning"]
    handler = EpisodeHandler(step, config)
    assert handler.batch_elements_kwargs() == {"min_batch_size": 4, "max_batch_size": 4}


@pytest.mark.slow
def test_random_model_constrained_by_the_schema_validates_every_episode(bridge_dir, tmp_path):
    model = build_tiny_chat_model(tmp_path / "tiny-chat")
    out = tmp_path / "out"
    args = ["annotate", str(bridge_dir), "--out", str(out), "--limit", str(EPISODES)]
    args += ["--format", "parquet", "--reasoner", "llm", "--llm-backend", "transformers"]
    args += ["--llm-model", str(model), "--llm-max-text-chars", "16", "--llm-batch-size", "2"]
    args += ["--llm-cache-dir", str(tmp_path / "cache")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    llm = json.loads((out / "summary.json").read_text())["llm"]
    assert llm["backend"] == "transformers" and llm["validated"] == EPISODES
    assert llm["fallbacks"] == 0 and llm["answers_by_mode"] == {"json_schema": EPISODES}
    # random text seldom names the instruction's objects: the text checks ask again, then the rules write
    assert llm["requests"] == EPISODES + llm["field_repairs"] and llm["completion_tokens"] > 0
    # the stage's time is accounted for, and prompts reused what the model had read: the second
    # batch the first one's system prompt, the repair round its first conversations
    seconds = llm["seconds"]
    assert seconds["stage"] > 0 and seconds["prefill"] > 0 and seconds["decode"] > 0
    assert seconds["stage"] >= seconds["prefill"] + seconds["decode"] + seconds["repair_round"]
    assert 0 < llm["reused_tokens"] < llm["prompt_tokens"] and llm["tokens_per_s"] > 0
    rows = pads.dataset(str(out / "parquet"), format="parquet").to_table().to_pylist()
    assert {r["reasoning_source"] for r in rows} == {"llm"}
    assert {r["reasoning_model"] for r in rows} == {str(model)}
    assert {r["answer_mode"] for r in rows} == {"json_schema"}
    assert all(r["move"] == r["primitive"] for r in rows)
    assert all(r["move_reason"] and "@" not in r["chain"] for r in rows)
    from_model = [r for r in rows if "move_reason" not in (r["fields_from_rules"] or "")]
    assert all(len(r["move_reason"]) <= 16 for r in from_model)
