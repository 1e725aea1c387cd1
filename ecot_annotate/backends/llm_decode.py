"""Greedy decoding of a batch of prompts, each under its own grammar or none, at the model's speed.

transformers' `generate` decodes one token per row per forward pass and keeps every row in the
batch until the last one ends. On a CPU a forward pass of a small model costs about the same for
one new token as for a few (reading the weights dominates), so three things waste it here:
- JSON structure the grammar forces (`","subtask_reason":"`, `"},{"` ...) would take one pass
  per token; xgrammar names those tokens (jump-forward decoding, as vLLM and SGLang do), and they
  enter the cache together in the next pass, beside the row's sampled token;
- a row whose answer is complete would go on decoding padding; it leaves the batch and its cache;
- a prompt whose first tokens the model read in the last decode (the repair round's conversation,
  the shared system prompt) would be read again; it starts from those tokens' keys and values
  (llm_prefix), and what a row read is kept for the next decode when it leaves.

Every pass, prefill included, feeds each row its own number of tokens, left-padded to the longest:
each row's newest token is last, so one position of logits per row is computed, and the padding
is masked out of every later pass, so each row sees exactly its own tokens. Keys and values grow
in place (llm_kv_cache) instead of being copied every pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from ecot_annotate.backends.llm_kv_cache import row_states, start_cache
from ecot_annotate.backends.llm_prefix import Prefix, PrefixStore, shared_length

MIN_SHARED = 16  # fewer shared first tokens are not worth a pass of their own


@dataclass
class Row:
    """One prompt's answer so far; `matcher` is its xgrammar GrammarMatcher, or None."""

    matcher: Any
    prompt: list[int]  # the prompt's token ids
    tokens: list[int] = field(default_factory=list)
    done: bool = False
    stopped: bool = False  # ended on a stop token or a complete grammar, not at the token limit


@dataclass
class Timing:
    """Where a decode's time went: reading the prompts (prefill: their shared start, then the
    first pass), then decoding."""

    prefill_s: float = 0.0
    decode_s: float = 0.0
    prefilled: int = 0  # prompt tokens read
    reused: int = 0  # prompt tokens of the rows taken from the prefix store


def decode(
    lm: Any,
    rows: list[Row],
    max_new_tokens: int,
    stop_ids: set[int],
    pad_id: int,
    store: PrefixStore,
    on_step: Callable[[int, int], None] = lambda tokens, answers: None,
) -> Timing:
    """Fill each row's `tokens` (stop token excluded); `on_step(tokens, answers)` after every
    pass: the answer tokens it added and the answers it completed. The prefixes the rows read
    replace those in `store`."""
    import xgrammar

    device = lm.device
    timing = Timing()
    start = time.perf_counter()
    timing.prefilled = _read_shared_start(lm, [row.prompt for row in rows], store, pad_id)
    cache, mask, lengths = _start(lm, [store.take(row.prompt) for row in rows])
    read = [row.prompt[:n] for row, n in zip(rows, lengths, strict=True)]  # tokens in the cache
    feeds = [row.prompt[n:] for row, n in zip(rows, lengths, strict=True)]
    timing.reused = sum(lengths)
    timing.prefilled += sum(len(f) for f in feeds)
    last = torch.tensor(lengths, device=device) - 1  # each row's last position in the cache
    bitmask = xgrammar.allocate_token_bitmask(len(rows), lm.config.vocab_size)
    live, kept = list(range(len(rows))), []
    while live:
        logits, mask, last = _forward(lm, cache, mask, last, feeds, pad_id)
        for i, feed in zip(live, feeds, strict=True):
            read[i] += feed
        before = sum(len(rows[i].tokens) for i in live)
        feeds = _next_tokens(logits, [rows[i] for i in live], bitmask, stop_ids, max_new_tokens)
        keep = [k for k, i in enumerate(live) if not rows[i].done]
        on_step(sum(len(rows[i].tokens) for i in live) - before, len(live) - len(keep))
        if len(keep) < len(live):
            valid = mask.bool()
            kept += [
                Prefix(read[i], row_states(cache, k, valid[k]))
                for k, i in enumerate(live)
                if rows[i].done
            ]
            if keep:
                index = torch.tensor(keep, device=device)
                cache.batch_select_indices(index)
                mask, last = mask[index], last[index]
            live, feeds = [live[k] for k in keep], [feeds[k] for k in keep]
        now = time.perf_counter()
        if timing.prefill_s:
            timing.decode_s += now - start
        else:
            timing.prefill_s = now - start
        start = now
    store.replace(kept)
    return timing


def _start(lm: Any, reuse: list[tuple[Prefix | None, int]]) -> tuple[Any, torch.Tensor, list[int]]:
    """A cache holding each row's reused prefix, its attention mask, and the prefixes' lengths."""
    lengths = [n for _, n in reuse]
    cache, mask = start_cache(
        lm.config.get_text_config().num_hidden_layers,
        [None if p is None else p.states for p, _ in reuse],
        lengths,
    )
    return cache, mask.to(lm.device), lengths


def _read_shared_start(lm: Any, prompts: list[list[int]], store: PrefixStore, pad_id: int) -> int:
    """Where the prompts start alike beyond what `store` holds (the system prompt of a first
    batch), read that start once, in a batch of one, and store it; returns the tokens read."""
    if len(prompts) < 2:
        return 0
    n = min(shared_length(prompts[0], p) for p in prompts[1:])
    shared = prompts[0][: min(n, min(len(p) for p in prompts) - 1)]
    prefix, have = store.take(shared, leave=0)
    if len(shared) - have < MIN_SHARED:
        return 0
    cache, mask, lengths = _start(lm, [(prefix, have)])
    _, mask, _ = _forward(
        lm, cache, mask, torch.tensor(lengths, device=lm.device) - 1, [shared[have:]], pad_id
    )
    store.add(Prefix(shared, row_states(cache, 0, mask[0].bool())))
    return len(shared) - have


def _forward(
    lm: Any,
    cache: Any,
    mask: torch.Tensor,
    last: torch.Tensor,
    feeds: list[list[int]],
    pad_id: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One pass feeding each row its tokens, left-padded: the logits of each row's newest token,
    the attention mask and each row's last position after it."""
    width = max(len(f) for f in feeds)
    step = torch.full((len(feeds), width), pad_id, dtype=torch.long)
    step_mask = torch.zeros((len(feeds), width), dtype=mask.dtype)
    for k, feed in enumerate(feeds):
        step[k, width - len(feed) :] = torch.tensor(feed)
        step_mask[k, width - len(feed) :] = 1
    device = mask.device
    step, step_mask = step.to(device), step_mask.to(device)
    sizes = step_mask.sum(dim=1)
    # each row's tokens at the positions after its last one; its padding where its tokens start
    offsets = (torch.arange(width, device=device)[None, :] - (width - sizes)[:, None]).clamp(min=0)
    mask = torch.cat([mask, step_mask], dim=1)
    out = lm(
        input_ids=step,
        attention_mask=mask,
        position_ids=last[:, None] + 1 + offsets,
        cache=cache,
        use_cache=True,
        logits_to_keep=1,
    )
    return out.logits[:, -1, :], mask, last + sizes


def _next_tokens(
    logits: torch.Tensor,
    rows: list[Row],
    bitmask: torch.Tensor,
    stop_ids: set[int],
    max_new_tokens: int,
) -> list[list[int]]:
    """Each live row's greedy token, then the tokens its grammar forces after it: what the next
    pass feeds. Marks rows that end here."""
    import xgrammar

    constrained = [k for k, row in enumerate(rows) if row.matcher is not None]
    if constrained:
        scores = logits[constrained].float().cpu()
        for j, k in enumerate(constrained):
            rows[k].matcher.fill_next_token_bitmask(bitmask, j)
        xgrammar.apply_token_bitmask_inplace(scores, bitmask[: len(constrained)])
        logits = logits.float().cpu().clone()
        logits[constrained] = scores
    chosen = logits.argmax(dim=-1).tolist()
    feeds = []
    for row, token in zip(rows, chosen, strict=True):
        feed = [token]
        if row.matcher is not None:
            row.matcher.accept_token(token)
        if token in stop_ids or (row.matcher is not None and row.matcher.is_terminated()):
            row.done = row.stopped = True
        else:
            row.tokens.append(token)
            if row.matcher is not None:
                forced = row.matcher.find_jump_forward_tokens()
                for forced_token in forced:
                    row.matcher.accept_token(forced_token)
                row.tokens += forced
                feed += forced
            if len(row.tokens) >= max_new_tokens:
                row.tokens, row.done = row.tokens[:max_new_tokens], True
        feeds.append(feed)
    return feeds
