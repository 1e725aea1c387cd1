"""A stage that declares `concurrency` runs episodes through a thread pool inside StageFn: many
LLM (or caption) requests in flight at once on one worker, every episode out once, counters intact."""

from __future__ import annotations

import dataclasses
import json

import pyarrow.dataset as pads

from ecot_annotate.config import AnnotateConfig, LLMConfig, PerceptionConfig
from pipelines.run import run
from tests.support.llm_servers import ScriptedServer, completion, valid

EPISODES = 12


def _run_one_worker(bridge_dir, out, server, **settings) -> dict:
    """The first EPISODES Bridge episodes on one in-process worker, LLM requests to `server`."""
    llm = LLMConfig(base_url=server.base_url, model="stub", concurrency=4, cache=False)
    beam_args = ("--direct_num_workers=1", "--direct_running_mode=in_memory")
    config = AnnotateConfig(str(bridge_dir), str(out), limit=EPISODES, formats=("parquet",))
    return run(dataclasses.replace(config, llm=llm, beam_args=beam_args, **settings))


def test_requests_from_many_episodes_are_in_flight_together(bridge_dir, tmp_path):
    with ScriptedServer(lambda n, req, headers: (*valid(req)[:2], 0.3)) as server:
        summary = _run_one_worker(bridge_dir, tmp_path, server, reasoner="llm")
    assert server.peak == 4, "up to --llm-concurrency requests in flight, never more"
    assert summary["episodes_out"] == EPISODES and summary["episodes_quarantined"] == 0
    llm = json.loads((tmp_path / "summary.json").read_text())["llm"]
    assert llm["requests"] == len(server.requests) == EPISODES, "counters from pool threads"
    assert (
        llm["validated"] == EPISODES and summary["stage_seconds"]["reasoning"]["count"] == EPISODES
    )
    table = pads.dataset(str(tmp_path / "parquet"), format="parquet").to_table()
    keys = table.column("episode_key").to_pylist()
    assert len(set(keys)) == EPISODES and len(keys) == summary["steps_out"]


def test_caption_requests_are_in_flight_together(bridge_dir, tmp_path):
    caption = (200, completion("A pot in a sink."), 0.3)
    with ScriptedServer(lambda n, req, headers: caption) as server:
        captioner = PerceptionConfig(captioner="openai")
        summary = _run_one_worker(bridge_dir, tmp_path, server, perception=captioner)
    assert server.peak == 4 and len(server.requests) == EPISODES
    assert summary["episodes_out"] == EPISODES and summary["episodes_quarantined"] == 0
