"""The keys and values a decode keeps, in buffers with room to grow.

transformers' DynamicCache appends each pass's keys and values with `torch.cat`, which copies the
whole cache every pass: with prompts of a thousand tokens that copy is a sixth of a small model's
time on a CPU. Here each layer writes a pass's tokens into a preallocated buffer and hands the
model a view of the filled part; a full buffer grows by a quarter (a copy now and then, not every
pass, and little memory held unused). A batch may start from cached prefixes of other lengths (prefix caching, llm_prefix): each
row's prefix is placed at the right, left-padded with slots the attention mask hides.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import Cache, DynamicLayer

MIN_ROOM = 256  # token slots a buffer gains at least, each time it grows (else by a quarter)


class GrowingLayer(DynamicLayer):
    """One layer's keys and values, [batch, heads, tokens, dim] views into buffers that grow."""

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self.device = key_states.device
        self.length = 0
        self.key_buffer = key_states.new_empty((*key_states.shape[:2], 0, key_states.shape[3]))
        self.value_buffer = value_states.new_empty(
            (*value_states.shape[:2], 0, value_states.shape[3])
        )
        self.is_initialized = True

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        end = self.length + key_states.shape[-2]
        if end > self.key_buffer.shape[-2]:
            capacity = self.key_buffer.shape[-2]
            self._grow(max(end, capacity + capacity // 4) + MIN_ROOM)
        self.key_buffer[:, :, self.length : end] = key_states
        self.value_buffer[:, :, self.length : end] = value_states
        self.length = end
        self._views()
        return self.keys, self.values

    def _grow(self, capacity: int) -> None:
        for name in ("key_buffer", "value_buffer"):
            old = getattr(self, name)
            new = old.new_empty((*old.shape[:2], capacity, old.shape[3]))
            new[:, :, : self.length] = old[:, :, : self.length]
            setattr(self, name, new)

    def _views(self) -> None:
        self.keys = self.key_buffer[:, :, : self.length]
        self.values = self.value_buffer[:, :, : self.length]

    def get_seq_length(self) -> int:
        return self.length if self.is_initialized else 0

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self.is_initialized:
            self.key_buffer = self.key_buffer[indices]
            self.value_buffer = self.value_buffer[indices]
            self._views()

    def crop(self, tokens_to_remove: int) -> None:
        raise NotImplementedError("a decode never crops its cache")


def growing_cache(n_layers: int) -> Cache:
    return Cache(layers=[GrowingLayer() for _ in range(n_layers)])


def start_cache(
    n_layers: int,
    prefixes: list[list[tuple[torch.Tensor, torch.Tensor]] | None],
    lengths: list[int],
) -> tuple[Cache, torch.Tensor]:
    """A cache holding each row's cached prefix (its first `lengths[i]` tokens, `prefixes[i]`:
    per layer keys and values [heads, tokens, dim]) right-aligned, and the attention mask that
    hides the padding before the shorter ones."""
    cache = growing_cache(n_layers)
    width = max(lengths)
    mask = torch.zeros((len(lengths), width), dtype=torch.long)
    for i, n in enumerate(lengths):
        mask[i, width - n :] = 1
    if width == 0:
        return cache, mask
    sample = next(p for p in prefixes if p is not None)[0][0]
    heads, dim = sample.shape[0], sample.shape[2]
    for index, layer in enumerate(cache.layers):
        keys = sample.new_zeros((len(lengths), heads, width, dim))
        values = torch.zeros_like(keys)
        for i, (prefix, n) in enumerate(zip(prefixes, lengths, strict=True)):
            if n:
                keys[i, :, width - n :] = prefix[index][0][:, :n]
                values[i, :, width - n :] = prefix[index][1][:, :n]
        layer.update(keys, values)
    return cache, mask.to(sample.device)


def row_states(
    cache: Cache, row: int, keep: torch.Tensor
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """One row's keys and values at the slots `keep` (its tokens, not the padding), per layer."""
    return [
        (layer.keys[row][:, keep], layer.values[row][:, keep])  # copies: boolean indexing
        for layer in cache.layers
    ]
