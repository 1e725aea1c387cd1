"""An LLM backend is one registration: the run asks it what to check, how to build it, whether
episodes reach it in batches (through RunInference) and how many wait on it at once."""

from __future__ import annotations

import dataclasses

import pytest

from ecot_annotate.backends.llm_backends import LLM_BACKENDS, LLMBackend
from ecot_annotate.backends.llm_client import ChatClient
from ecot_annotate.backends.llm_preflight import preflight
from ecot_annotate.backends.llm_server import check_server_settings
from ecot_annotate.cli import main
from ecot_annotate.config import AnnotateConfig, LLMConfig
from ecot_annotate.errors import EcotError
from ecot_annotate.stages import Step, Work
from ecot_annotate.stages.reasoning import reasoning_step
from ecot_annotate.validate import check_llm_backend
from pipelines.run import run
from tests.support.llm_servers import ScriptedServer, valid

EPISODES = 4

# An example backend: a server's client, but its episodes go to it in batches through RunInference.
LLM_BACKENDS.register("server-batched")(
    LLMBackend(
        help="server-batched: a server, episodes sent in batches",
        build=lambda config, count: ChatClient(config, count=count),
        check=check_server_settings,
        ready=preflight,
        batched=True,
    )
)


def test_the_cli_offers_the_registered_backends():
    option = next(p for p in main.commands["annotate"].params if p.name == "llm_backend")
    assert {"server", "transformers"} <= set(option.type.choices) <= set(LLM_BACKENDS.names())
    assert "server: any OpenAI-compatible server" in option.help


def test_concurrency_and_checks_come_from_the_backend():
    def step(backend: str) -> Step:
        llm = LLMConfig(backend=backend, model="m", base_url="http://127.0.0.1:1/v1", concurrency=6)
        return reasoning_step(AnnotateConfig("x", "y", reasoner="llm", llm=llm))

    shapes = [
        (s.work, s.concurrency) for s in map(step, ("server", "server-batched", "transformers"))
    ]
    assert shapes == [(Work.EPISODE, 6), (Work.BATCH, 1), (Work.BATCH, 1)]
    problems = list(check_llm_backend(LLMConfig(backend="nope")))
    assert len(problems) == 1 and "unknown LLM backend 'nope'; choose from" in str(problems[0])
    problems = list(check_llm_backend(LLMConfig(backend="server-batched", base_url="http://x/v1")))
    assert [str(p) for p in problems] == [
        "--reasoner llm needs --llm-model (the model name the server serves)"
    ]
    with pytest.raises(EcotError, match="--llm-batch-size"):
        LLM_BACKENDS.get("transformers").check(LLMConfig(batch_size=0))


def test_a_registered_backend_runs_through_the_pipeline(bridge_dir, tmp_path):
    with ScriptedServer(lambda n, req, headers: (*valid(req)[:2], 0.05)) as server:
        llm = LLMConfig(
            backend="server-batched", base_url=server.base_url, model="m", cache=False, batch_size=2
        )
        config = AnnotateConfig(str(bridge_dir), str(tmp_path), limit=EPISODES, reasoner="llm")
        beam_args = ("--direct_num_workers=1", "--direct_running_mode=in_memory")
        config = dataclasses.replace(config, llm=llm, beam_args=beam_args)
        summary = run(config)
    assert summary["llm"]["validated"] == EPISODES and len(server.requests) == EPISODES
    assert reasoning_step(config).work is Work.BATCH, "reasoned through RunInference"
    assert 1 <= summary["stage_seconds"]["reasoning"]["count"] <= EPISODES  # timed per batch
    assert server.peak == 1, "a batch's requests go one after another"
