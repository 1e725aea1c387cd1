"""Generation stops at `ACTION:` by token ids, whatever the tokenizer (here a word-level one)."""

from __future__ import annotations

import torch

from ecot_annotate.train.stopping import StopAfterIds, action_tag_endings
from tests.support.tiny_models import tiny_llama

WORDS = ["<pad>", "<unk>", "</s>", "TASK:", "PLAN:", "x", "go", "left", "ACTION:", "a", "b"]


def _word_level_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    words.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=words, unk_token="<unk>", pad_token="<pad>", eos_token="</s>"
    )


class _Script:
    """A logits processor that makes the model write `script`, one token per step."""

    def __init__(self, script: list[int], start: int):
        self.script, self.start = script, start

    def __call__(self, input_ids, scores):
        forced = torch.full_like(scores, float("-inf"))
        forced[:, self.script[input_ids.shape[1] - self.start]] = 0.0
        return forced


def test_word_level_tokenizer_stops_right_after_action_tag():
    from transformers import (
        LogitsProcessorList,
        StoppingCriteriaList,
    )

    tokenizer = _word_level_tokenizer()
    ids = lambda text: tokenizer(text, add_special_tokens=False).input_ids  # noqa: E731
    assert action_tag_endings(ids) == [[WORDS.index("ACTION:")]]
    model = tiny_llama(len(WORDS), width=16, pad_token_id=0, eos_token_id=2).eval()
    prompt = torch.tensor([ids("TASK: x")])
    script = ids("PLAN: go left ACTION: a b") + [2]
    stop = StopAfterIds(action_tag_endings(ids), prompt.shape[1])
    out = model.generate(
        prompt,
        attention_mask=torch.ones_like(prompt),
        max_new_tokens=len(script),
        do_sample=False,
        logits_processor=LogitsProcessorList([_Script(script, prompt.shape[1])]),
        stopping_criteria=StoppingCriteriaList([stop]),
        pad_token_id=0,
    )
    assert tokenizer.decode(out[0, prompt.shape[1] :]) == "PLAN: go left ACTION:"


def test_byte_level_tokenizer_stops_at_the_ids_it_writes_after_a_chain():
    from tests.support.tiny_llava import train_tokenizer

    tokenizer = train_tokenizer(["TASK: pick up the cup PLAN: reach ACTION:"] * 8)
    ids = lambda text: tokenizer(text, add_special_tokens=False).input_ids  # noqa: E731
    endings = action_tag_endings(ids)
    answer = ids("TASK: pick up the cup PLAN: reach ACTION:")
    stop = StopAfterIds(endings, prompt_length=2)
    assert any(answer[-len(e) :] == e for e in endings)
    assert stop(torch.tensor([answer]), None).tolist() == [True]
    assert stop(torch.tensor([answer[:-1]]), None).tolist() == [False]
