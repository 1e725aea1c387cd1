"""The embedded decoder against transformers' own `generate`, on a tiny random Llama built here:
the same greedy tokens where nothing is forced, a grammar-valid answer where a schema is given,
forced JSON structure fed in fewer passes than tokens, and finished rows leaving the batch."""

from __future__ import annotations

import json

import pytest

from tests.support.llm_servers import build_tiny_chat_model

torch = pytest.importorskip("torch")
xgrammar = pytest.importorskip("xgrammar")

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["subtask", "subtask_reason", "move_reason"],
    "properties": {
        name: {"type": "string", "pattern": "^[a-z ]{1,12}$"}
        for name in ("subtask", "subtask_reason", "move_reason")
    },
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = build_tiny_chat_model(tmp_path_factory.mktemp("tiny-chat"))
    tokenizer = AutoTokenizer.from_pretrained(folder, padding_side="left")
    tokenizer.pad_token = tokenizer.eos_token
    return AutoModelForCausalLM.from_pretrained(folder).eval(), tokenizer


def _inputs(tokenizer, texts):
    return tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)


PROMPTS = ["put the cup in the sink", "move left", "stop the robot and put the cup down"]


def _decode(model, tokenizer, rows, max_new_tokens):
    from ecot_annotate.backends.llm_decode import decode

    inputs = _inputs(tokenizer, PROMPTS[: len(rows)])
    with torch.inference_mode():
        return decode(
            model,
            inputs["input_ids"],
            inputs["attention_mask"],
            rows,
            max_new_tokens,
            {tokenizer.eos_token_id},
            tokenizer.pad_token_id,
        )


def test_free_text_is_what_generate_writes(tiny):
    from ecot_annotate.backends.llm_decode import Row

    model, tokenizer = tiny
    rows = _decode(model, tokenizer, [Row(None) for _ in PROMPTS], 24)
    inputs = _inputs(tokenizer, PROMPTS)
    with torch.inference_mode():
        out = model.generate(
            **inputs, max_new_tokens=24, do_sample=False, pad_token_id=tokenizer.pad_token_id
        )
    for row, generated in zip(rows, out[:, inputs["input_ids"].shape[1] :].tolist(), strict=True):
        ended = [t == tokenizer.eos_token_id for t in generated]
        assert row.tokens == generated[: ended.index(True) if any(ended) else None]
        assert row.stopped == any(ended)


def _matchers(tokenizer, n):
    info = xgrammar.TokenizerInfo.from_huggingface(tokenizer)
    grammar = xgrammar.GrammarCompiler(info).compile_json_schema(
        json.dumps(SCHEMA), any_whitespace=False
    )
    return [xgrammar.GrammarMatcher(grammar) for _ in range(n)]


def test_constrained_answers_follow_the_schema_in_fewer_passes_and_rows_leave(tiny):
    from ecot_annotate.backends.llm_decode import Row

    model, tokenizer = tiny
    batch_sizes: list[int] = []
    hook = model.register_forward_hook(lambda m, a, kw, out: batch_sizes.append(kw["input_ids"].shape[0]), with_kwargs=True)  # fmt: skip
    try:
        rows = _decode(model, tokenizer, [Row(m) for m in _matchers(tokenizer, 3)], 200)
    finally:
        hook.remove()
    for row in rows:
        answer = json.loads(tokenizer.decode(row.tokens, skip_special_tokens=True))
        assert set(answer) == set(SCHEMA["required"]) and row.stopped
    # the keys and quotes are forced: far fewer passes than the longest answer's tokens
    assert len(batch_sizes) < max(len(r.tokens) for r in rows)
    lengths = sorted(len(r.tokens) for r in rows)
    assert lengths[0] < lengths[-1], lengths  # the random model writes answers of other lengths
    assert batch_sizes[-1] < 3  # so the rows that finished first were no longer decoded


def test_an_answer_stops_at_the_token_limit(tiny):
    from ecot_annotate.backends.llm_decode import Row

    model, tokenizer = tiny
    (row,) = _decode(model, tokenizer, [Row(_matchers(tokenizer, 1)[0])], 5)
    assert len(row.tokens) == 5 and not row.stopped
