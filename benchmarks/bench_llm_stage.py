"""The embedded LLM inside a real run: `ecot-annotate annotate --reasoner llm --llm-backend
transformers` on the first Bridge episodes (make demo's LLM step, answer cache off, repairs
included), in a process of its own with its output piped, as a newcomer's `make demo | tee` runs it.

- Speed: completion tokens over the time of the run's LLM stage (its batches, from summary.json,
  which breaks it into prefill, decode, the repair round and the rest), against a bare
  transformers `generate` of the same model in this process over the same first prompts in one
  batch, producing as many tokens as the run did (every slot of the batch a token).
- A busy machine: the same run again beside two busy-loop processes pinned to the cores this
  process may use, started before it and stopped after; the figure is its rate against its own
  rate alone (a fair share of two cores among four busy threads is 0.5x).
- The run alone, the bare generate and the run beside the busy loops alternate, twice, and each
  keeps its best: a busier moment of a shared machine slows every side alike.
- Why threads wait passively: decode passes of the same model in a fresh process beside the two
  busy loops, with OpenMP's wait policy left to torch's default (spinning a while) and passive.
- Never silent: the longest any of the runs was silent, from its start to its end, against the
  progress interval (make demo's LLM step is this run).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from benchmarks.data import BRIDGE, bare_generate_s, embedded_llm_missing, first_requests
from benchmarks.results import Row
from ecot_annotate.progress import EVERY_S

EPISODES = 3
MAX_TEXT_CHARS = 60
# make demo's LLM step (a test holds them to the Makefile's); the bench adds --no-cache
DEMO_OPTIONS = ("--limit", str(EPISODES), "--format", "parquet", "--reasoner", "llm")
DEMO_OPTIONS += ("--llm-backend", "transformers", "--llm-max-text-chars", str(MAX_TEXT_CHARS))
ROUNDS = 2  # the run alone, the bare generate, the run beside busy loops; each keeps its best
SPEED_TARGET = 0.8
BUSY_TARGET = 0.4
GAP_TARGET_S = 35.0


def run_annotate(out: Path) -> tuple[dict, float]:
    """summary.json's llm section of one run, and the longest it was silent: between its start
    and its first output line, or between two lines."""
    cli = [sys.executable, "-c", "from ecot_annotate.cli import main; main()", "annotate"]
    cli += [str(BRIDGE), "--out", str(out), *DEMO_OPTIONS, "--no-cache"]
    lines = [(time.monotonic(), "(started)")]
    process = subprocess.Popen(
        cli, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    lines += [(time.monotonic(), line.rstrip()) for line in process.stdout]
    if process.wait() != 0:
        raise RuntimeError(f"annotate exited with {process.returncode}")
    gap, at = max((b[0] - a[0], k) for k, (a, b) in enumerate(zip(lines, lines[1:], strict=False)))
    print(f"   longest silence {gap:.0f}s, after: {lines[at][1][:100]}")
    return json.loads((out / "summary.json").read_text())["llm"], gap


_BUSY = "import os\nos.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))\nwhile True: pass"


def time_shared() -> None:
    """Runs this process (and so the runs it starts) under the ordinary scheduler: the figures
    compare time-shared processes, as a user's run is."""
    if os.sched_getscheduler(0) != os.SCHED_OTHER:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


@contextlib.contextmanager
def busy_loops(n: int = 2) -> Iterator[None]:
    """`n` processes spinning on the cores this process may use, while the block runs. They are
    ordinary time-shared processes whatever this one is: a real-time busy loop inherited from a
    real-time parent never yields, and would starve the run and the bench itself."""
    cores = os.sched_getaffinity(0)
    loops = [subprocess.Popen([sys.executable, "-c", _BUSY]) for _ in range(n)]
    try:
        for loop in loops:
            os.sched_setaffinity(loop.pid, cores)
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


_PASSES = """
import sys, time, torch
from transformers import AutoModelForCausalLM, DynamicCache
torch.set_num_threads(int(sys.argv[2]))
lm = AutoModelForCausalLM.from_pretrained(sys.argv[1], dtype=torch.float32).eval()
with torch.inference_mode():
    cache = DynamicCache(config=lm.config)
    lm(input_ids=torch.randint(0, 40000, (3, 700)), cache=cache, use_cache=True, logits_to_keep=1)
    passes, start = 0, time.perf_counter()
    while time.perf_counter() - start < float(sys.argv[3]):
        lm(input_ids=torch.randint(0, 40000, (3, 1)), cache=cache, use_cache=True)
        passes += 1
print(passes / (time.perf_counter() - start))
"""


def passes_per_s(policy: str | None, seconds: float = 20.0) -> float:
    """Decode passes/s (batch 3, 700 tokens read) of the default model in a fresh process whose
    OpenMP wait policy is `policy` (None: torch's default)."""
    from ecot_annotate.backends.llm_weights import model_folder
    from ecot_annotate.cpu_threads import WAIT_ENV, torch_threads

    env = {k: v for k, v in os.environ.items() if k != WAIT_ENV}
    if policy:
        env[WAIT_ENV] = policy
    done = subprocess.run(
        [sys.executable, "-c", _PASSES, str(model_folder(None)), str(torch_threads()), str(seconds)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(done.stdout.split()[-1])


def bare_generate() -> Callable[[int], tuple[float, int]]:
    """A bare `generate` over the run's first prompts in one batch: given the run's completion
    tokens, its tokens/s producing at least as many, and the steps that took."""
    from ecot_annotate.config import LLMConfig
    from ecot_annotate.reasoners.llm import LLMReasoner

    reasoner = LLMReasoner(
        LLMConfig(
            backend="transformers", batch_size=EPISODES, cache=False, max_text_chars=MAX_TEXT_CHARS
        )
    )
    lm = reasoner.completer
    requests = first_requests(reasoner, EPISODES)

    def rate(tokens: int) -> tuple[float, int]:
        steps = math.ceil(tokens / EPISODES)
        return EPISODES * steps / bare_generate_s(lm, requests, steps), steps

    return rate


def _breakdown(llm: dict) -> str:
    seconds = llm["seconds"]
    parts = ", ".join(
        f"{name.replace('_', ' ')} {seconds[name]:.1f}s"
        for name in ("prefill", "decode", "repair_round", "other")
    )
    return f"stage {seconds['stage']:.1f}s: {parts}"


def main() -> list[Row]:
    missing = embedded_llm_missing()
    if missing:
        print(f"   skipped: {missing}")
        return []
    time_shared()
    generate, quiet_runs, busy_runs, bares = bare_generate(), [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(ROUNDS):  # alternating: a busier moment slows every side alike
            quiet_runs.append(run_annotate(Path(tmp) / f"quiet{round_}"))
            bares.append(generate(quiet_runs[-1][0]["completion_tokens"]))
            with busy_loops():
                busy_runs.append(run_annotate(Path(tmp) / f"busy{round_}"))
        with busy_loops():
            spinning, passive = passes_per_s(None), passes_per_s("PASSIVE")
    (quiet, _), (busy, _) = (
        max(runs, key=lambda r: r[0]["tokens_per_s"]) for runs in (quiet_runs, busy_runs)
    )
    bare, steps = max(bares)
    quiet_gap, busy_gap = (max(gap for _, gap in runs) for runs in (quiet_runs, busy_runs))
    rate, busy_rate = quiet["tokens_per_s"], busy["tokens_per_s"]
    speed, share = rate / bare, busy_rate / rate
    print(
        f"   {quiet['requests']} requests, {quiet['prompt_tokens']} prompt tokens "
        f"({quiet['reused_tokens']} from the prefix cache), {quiet['completion_tokens']} completion "
        f"tokens; bare generate: {EPISODES} x {steps} tokens; OMP_WAIT_POLICY "
        f"{os.environ.get('OMP_WAIT_POLICY', 'unset')}"
    )
    run = f"SmolLM2-135M-Instruct embedded, LLM stage of a real annotate run, {EPISODES} Bridge episodes, repairs included"
    return [
        Row(
            run,
            f"bare `generate`, same first prompts, batch {EPISODES}, as many tokens: {bare:.1f} tokens/s",
            f"{rate:.1f} tokens/s ({_breakdown(quiet)})",
            f"{speed:.2f}x (target >= {SPEED_TARGET}x)",
        ),
        Row(
            f"{run}, beside two busy-loop processes on its cores",
            f"the same run alone: {rate:.1f} tokens/s",
            f"{busy_rate:.1f} tokens/s ({_breakdown(busy)})",
            f"{share:.2f}x (target >= {BUSY_TARGET}x)",
        ),
        Row(
            f"make demo's LLM step ({EPISODES} Bridge episodes) piped: the longest silence between output lines, from its start to its end",
            f"progress interval {EVERY_S:.0f}s (target: no silence over {GAP_TARGET_S:.0f}s)",
            f"alone {quiet_gap:.0f}s; beside two busy-loop processes {busy_gap:.0f}s",
            f"{max(quiet_gap, busy_gap) / EVERY_S:.2f}x the interval",
        ),
        Row(
            "SmolLM2-135M-Instruct decode passes (batch 3), beside two busy-loop processes on its cores",
            f"OpenMP threads spinning while they wait (torch's default): {spinning:.2f} passes/s",
            f"waiting passively (OMP_WAIT_POLICY=PASSIVE, ours): {passive:.2f} passes/s",
            f"{passive / spinning:.1f}x",
        ),
    ]
