"""Prefix caching: a prompt that starts with tokens the model has already read skips them.

The repair round asks again with the first request's whole conversation in front (its prompt, the
answer, then what to fix), and every first request starts with the same system prompt. So each
decode leaves behind, per answer, the keys and values of everything it read (prompt and answer),
and the next decode starts each prompt from the longest one that shares its first tokens: only
the rest is read (prefilled) again. Prompts of one batch that start alike beyond what is stored
(the first batch's system prompt) have that start read once for all of them (llm_decode). Entries
live from one decode to the next, no longer: the repair round follows its first round, and the
next batch's prompts share the system prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


@dataclass
class Prefix:
    """Tokens the model read and their keys and values."""

    ids: list[int]
    states: list[tuple[torch.Tensor, torch.Tensor]]  # per layer: keys, values [heads, tokens, dim]


def shared_length(a: list[int], b: list[int]) -> int:
    """How many first tokens `a` and `b` have in common."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class PrefixStore:
    """The prefixes the last decode left; `take` finds a prompt's longest."""

    def __init__(self) -> None:
        self.kept: list[Prefix] = []

    def take(self, prompt: list[int], leave: int = 1) -> tuple[Prefix | None, int]:
        """The stored prefix sharing the most first tokens with `prompt`, and how many it shares;
        at least `leave` tokens are left to read (the last one, for the first new token's logits)."""
        best, length = None, 0
        for prefix in self.kept:
            n = min(shared_length(prefix.ids, prompt), len(prompt) - leave)
            if n > length:
                best, length = prefix, n
        return best, length

    def add(self, prefix: Prefix) -> None:
        self.kept.append(prefix)

    def replace(self, prefixes: list[Prefix]) -> None:
        self.kept = prefixes
