"""The embedded LLM at the speed of its model: tokens per second of the embedded path
(`LocalLM.complete_many`: grammar compiled, constrained, jump-forward decoding) vs a bare
transformers `generate` of the same model, on the same prompts, in the same batch, side by side.

The prompts are the first requests a run sends for the first Bridge episodes, as `make demo`'s LLM
step sends them. The embedded side counts the tokens of its answers and compiles each grammar
afresh (the cache is cleared before every round). The bare side decodes, unconstrained, as many
steps as the longest answer took and every row for all of them: every slot of the batch is a
token, the model's most at this batch and length. Rounds alternate, and each side keeps its best
of three, so a busy machine slows both alike. Neither reuses what an earlier round read (the
embedded path's prefix cache is emptied before each round); `bench_llm_stage` times a whole run.
"""

from __future__ import annotations

import time

from benchmarks.data import bare_generate_s, embedded_llm_missing, first_requests
from benchmarks.results import Row

EPISODES = 3
ROUNDS = 3
TARGET = 0.8


def main() -> list[Row]:
    missing = embedded_llm_missing()
    if missing:
        print(f"   skipped: {missing}")
        return []
    import torch

    from ecot_annotate.config import LLMConfig
    from ecot_annotate.reasoners.llm import LLMReasoner

    reasoner = LLMReasoner(
        LLMConfig(backend="transformers", batch_size=EPISODES, cache=False, max_text_chars=60)
    )
    lm = reasoner.completer
    requests = first_requests(reasoner, EPISODES)
    ours, bare = [], []
    for _ in range(ROUNDS):
        lm.compiler.clear_cache()
        lm.prefixes.replace([])  # nothing read in an earlier round is reused
        start = time.perf_counter()
        answers = lm.complete_many(requests)
        seconds = time.perf_counter() - start
        lengths = [a.completion_tokens for a in answers]
        ours.append((sum(lengths) / seconds, lengths))
        steps = max(lengths)
        bare.append(len(requests) * steps / bare_generate_s(lm, requests, steps))
    (rate, lengths), bare_rate = max(ours), max(bare)
    ratio = rate / bare_rate
    print(
        f"   answers of {lengths} tokens; target >= {TARGET}x: {'met' if ratio >= TARGET else 'NOT met'}; "
        f"torch threads {torch.get_num_threads()}"
    )
    return [
        Row(
            f"SmolLM2-135M-Instruct embedded, batch {EPISODES}, first requests of {EPISODES} Bridge episodes",
            f"bare `generate`, unconstrained, every slot a token: {bare_rate:.1f} tokens/s",
            f"embedded path, constrained, grammars compiled each round: {rate:.1f} tokens/s",
            f"{ratio:.2f}x",
        )
    ]
