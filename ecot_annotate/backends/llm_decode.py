"""Greedy decoding of a batch of prompts, each under its own grammar or none, at the model's speed.

transformers' `generate` decodes one token per row per forward pass and keeps every row in the
batch until the last one ends. On a CPU a forward pass of a small model costs about the same for
one new token as for a few (reading the weights dominates), so two things waste it here:
- JSON structure the grammar forces (`","subtask_reason":"`, `"},{"` ...) would take one pass
  per token; xgrammar names those tokens (jump-forward decoding, as vLLM and SGLang do), and they
  enter the cache together in the next pass, beside the row's sampled token;
- a row whose answer is complete would go on decoding padding; it leaves the batch and its cache.

The rows of one pass may feed different numbers of tokens: shorter ones are padded at the end and
the padding is masked out of every later pass, so each row sees exactly its own tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class Row:
    """One prompt's answer so far; `matcher` is its xgrammar GrammarMatcher, or None."""

    matcher: Any
    tokens: list[int] = field(default_factory=list)
    done: bool = False
    stopped: bool = False  # ended on a stop token or a complete grammar, not at the token limit


def decode(
    lm: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    rows: list[Row],
    max_new_tokens: int,
    stop_ids: set[int],
    pad_id: int,
) -> list[Row]:
    """Fill each row's `tokens` (stop token excluded) for left-padded prompts; returns `rows`."""
    import xgrammar
    from transformers import DynamicCache

    bitmask = xgrammar.allocate_token_bitmask(len(rows), lm.config.vocab_size)
    cache = DynamicCache(config=lm.config)
    mask = attention_mask
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    out = lm(
        input_ids=input_ids,
        attention_mask=mask,
        position_ids=positions,
        cache=cache,
        use_cache=True,
        logits_to_keep=1,
    )
    logits = out.logits[:, -1, :]
    last = positions[:, -1]
    device = input_ids.device
    live = list(range(len(rows)))
    while live:
        feeds = _next_tokens(logits, [rows[i] for i in live], bitmask, stop_ids, max_new_tokens)
        keep = [k for k, i in enumerate(live) if not rows[i].done]
        if not keep:
            break
        if len(keep) < len(live):
            index = torch.tensor(keep, device=device)
            cache.batch_select_indices(index)
            mask, last = mask[index], last[index]
            live, feeds = [live[k] for k in keep], [feeds[k] for k in keep]
        width = max(len(f) for f in feeds)
        step = torch.full((len(live), width), pad_id, dtype=torch.long)
        step_mask = torch.zeros((len(live), width), dtype=mask.dtype)
        for k, feed in enumerate(feeds):
            step[k, : len(feed)] = torch.tensor(feed)
            step_mask[k, : len(feed)] = 1
        step, step_mask = step.to(device), step_mask.to(device)
        mask = torch.cat([mask, step_mask], dim=1)
        out = lm(
            input_ids=step,
            attention_mask=mask,
            position_ids=last[:, None] + 1 + torch.arange(width, device=device)[None, :],
            cache=cache,
            use_cache=True,
        )
        ends = torch.tensor([len(f) - 1 for f in feeds], device=device)
        logits = out.logits[torch.arange(len(live), device=device), ends, :]
        last = last + ends + 1
    return rows


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
