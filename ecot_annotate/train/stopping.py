"""Stop generating the chain once `ACTION:` is written, by comparing token ids.

transformers' `StopStringCriteria` builds its tables from the vocabulary's token strings and fails
on tokenizers that are not BPE-like (a word-level tokenizer raises `substring not found`). The ids
`ACTION:` is written as are known from the tokenizer itself: how it encodes the tag alone (an
action-only answer) and after a chain (every other answer), as the training examples hold them.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from transformers import StoppingCriteria

from ecot_annotate.train.prompt_styles import ACTION_TAG, answer_text

_PROBE_CHAIN = "TASK: x"  # any chain text: only what the tokenizer appends after it matters


def action_tag_endings(text_ids: Callable[[str], list[int]]) -> list[list[int]]:
    """The id sequences that end an answer's text: `ACTION:` alone and after a chain."""
    alone = text_ids(answer_text(""))
    before, after = text_ids(_PROBE_CHAIN), text_ids(answer_text(_PROBE_CHAIN))
    shared = 0
    while shared < min(len(before), len(after)) and before[shared] == after[shared]:
        shared += 1
    endings = [alone, after[shared:]]
    return [list(e) for i, e in enumerate(endings) if e and e not in endings[:i]]


class StopAfterIds(StoppingCriteria):
    """Done for a sequence once its new ids (after `prompt_length`) end with one of `endings`."""

    def __init__(self, endings: list[list[int]], prompt_length: int):
        if not endings:
            raise ValueError(
                f"no token ids to stop at: the tokenizer writes {ACTION_TAG!r} as nothing"
            )
        self.endings, self.prompt_length = endings, prompt_length

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        generated = input_ids.shape[1] - self.prompt_length
        for ending in self.endings:
            if generated >= len(ending):
                tail = torch.tensor(ending, dtype=input_ids.dtype, device=input_ids.device)
                done |= (input_ids[:, -len(ending) :] == tail).all(dim=1)
        return done
