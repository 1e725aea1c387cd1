"""LLM requests in flight: episodes/s against a server that answers after a fixed latency.

A loopback OpenAI-compatible server answers every request with a valid answer after L seconds
and records the most requests it had in flight at once. The whole pipeline (one DirectRunner
worker, in memory) annotates a generated sample with `--reasoner llm` at `--llm-concurrency 1`
and 16. With requests sent one after another the LLM part takes L x requests; with N in flight it
should take N times less. The rate is measured over the span in which the server was answering
(first request in to last answer out), so Beam's start-up and the writers do not blur it; the
target is episodes/s >= 0.8 x N / (L x requests per episode).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.results import Row

LATENCY_S = 4.0  # a real server's answer takes 2-5 s; shorter, this CPU's decoding sets the pace
EPISODES = 48
RUNS = ((1, 4), (16, EPISODES))  # (--llm-concurrency, episodes): one at a time is slow, so fewer


def annotate(sample: Path, out: Path, base_url: str, concurrency: int, limit: int) -> dict:
    from ecot_annotate.config import AnnotateConfig, LLMConfig
    from pipelines.run import run

    return run(
        AnnotateConfig(
            input=str(sample),
            out=str(out),
            limit=limit,
            profile="ecot_sample",
            formats=("parquet",),
            reasoner="llm",
            llm=LLMConfig(
                base_url=base_url, model="stub", concurrency=concurrency, cache=False, timeout_s=30
            ),
            beam_args=("--direct_num_workers=1", "--direct_running_mode=in_memory"),
        )
    )


def measure(sample: Path, folder: Path, concurrency: int, limit: int) -> tuple[float, str]:
    from tests.support.llm_servers import ScriptedServer, valid

    times: list[float] = []

    def script(n, request, headers):
        times.append(time.perf_counter())
        return (*valid(request)[:2], LATENCY_S)

    with ScriptedServer(script) as server:
        summary = annotate(sample, folder / f"c{concurrency}", server.base_url, concurrency, limit)
        span = time.perf_counter() - times[0]  # wall until the run ended, from the first request
        last_answer = max(times) + LATENCY_S - times[0]
    llm = summary["llm"]
    episodes = llm["validated"] + llm["fallbacks"]
    per_episode = llm["requests"] / episodes
    rate = episodes / last_answer
    target = 0.8 * concurrency / (LATENCY_S * per_episode)
    print(
        f"   --llm-concurrency {concurrency:2d}: {episodes} episodes, {per_episode:.2f} requests each, "
        f"peak in flight {server.peak}; {rate:5.1f} episodes/s while the server answered "
        f"(target >= {target:.1f}: {'met' if rate >= target else 'NOT met'}); "
        f"whole run {summary['wall_seconds']:.1f}s, {span:.1f}s from the first request"
    )
    figure = f"{rate:.2f} episodes/s, peak {server.peak} in flight (target >= {target:.2f})"
    return rate, figure


def main() -> list[Row]:
    from ecot_annotate.sample.generate import write_sample

    print(f"   stub server latency L = {LATENCY_S}s, one DirectRunner worker (in memory)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sample = write_sample(folder / "sample", episodes=EPISODES, seed=0)
        (one, one_text), (many, many_text) = [measure(sample, folder, n, lim) for n, lim in RUNS]
    print(f"   speed-up {RUNS[-1][0]} vs 1 in flight: {many / one:.1f}x")
    return [
        Row(
            f"LLM stub server answering after {LATENCY_S:g}s, one DirectRunner worker, generated sample",
            f"--llm-concurrency 1: {one_text}",
            f"--llm-concurrency {RUNS[-1][0]}: {many_text}",
            f"{many / one:.1f}x",
        )
    ]
