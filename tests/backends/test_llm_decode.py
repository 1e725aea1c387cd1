"""The embedded decoder against transformers' own `generate`, on a tiny random Llama built here:
the same greedy tokens where nothing is forced, also when prompts start from stored prefixes (a
follow-up's first conversation, a batch's shared start), a grammar-valid answer where a schema is
given, forced JSON structure fed in fewer passes than tokens, and finished rows leaving the batch."""

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


def _ids(tokenizer, texts):
    return tokenizer(texts, add_special_tokens=False)["input_ids"]


def _decode(model, tokenizer, matchers, max_new_tokens, texts=PROMPTS, store=None):
    from ecot_annotate.backends.llm_decode import Row, decode
    from ecot_annotate.backends.llm_prefix import PrefixStore

    rows = [Row(m, ids) for m, ids in zip(matchers, _ids(tokenizer, texts), strict=False)]
    with torch.inference_mode():
        decode(
            model,
            rows,
            max_new_tokens,
            {tokenizer.eos_token_id},
            tokenizer.pad_token_id,
            PrefixStore() if store is None else store,
        )
    return rows


def _generate(model, tokenizer, texts, max_new_tokens):
    """transformers' own greedy answers, cut at the end token."""
    inputs = _inputs(tokenizer, texts)
    with torch.inference_mode():
        out = model.generate(
            **inputs,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
        )
    answers = []
    for generated in out[:, inputs["input_ids"].shape[1] :].tolist():
        ended = [t == tokenizer.eos_token_id for t in generated]
        answers.append(generated[: ended.index(True) if any(ended) else None])
    return answers


def test_free_text_is_what_generate_writes(tiny):
    model, tokenizer = tiny
    rows = _decode(model, tokenizer, [None] * len(PROMPTS), 24)
    for row, generated in zip(rows, _generate(model, tokenizer, PROMPTS, 24), strict=True):
        assert row.tokens == generated
        assert row.stopped == (len(generated) < 24)


def _matchers(tokenizer, n):
    info = xgrammar.TokenizerInfo.from_huggingface(tokenizer)
    grammar = xgrammar.GrammarCompiler(info).compile_json_schema(
        json.dumps(SCHEMA), any_whitespace=False
    )
    return [xgrammar.GrammarMatcher(grammar) for _ in range(n)]


def test_constrained_answers_follow_the_schema_in_fewer_passes_and_rows_leave(tiny):
    model, tokenizer = tiny
    batch_sizes: list[int] = []
    hook = model.register_forward_hook(lambda m, a, kw, out: batch_sizes.append(kw["input_ids"].shape[0]), with_kwargs=True)  # fmt: skip
    try:
        rows = _decode(model, tokenizer, _matchers(tokenizer, 3), 200)
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
    model, tokenizer = tiny
    (row,) = _decode(model, tokenizer, _matchers(tokenizer, 1), 5)
    assert len(row.tokens) == 5 and not row.stopped


def test_a_follow_up_reads_only_its_new_tokens_and_writes_what_generate_writes(tiny):
    """The repair round's prompts start with the first round's conversation: their keys and values
    come from the prefix store, only the rest is prefilled, and the answers are generate's."""
    from ecot_annotate.backends.llm_decode import Row, decode
    from ecot_annotate.backends.llm_prefix import PrefixStore

    model, tokenizer = tiny
    store = PrefixStore()
    first = _decode(model, tokenizer, [None] * len(PROMPTS), 24, store=store)
    assert len(store.kept) == len(PROMPTS)
    texts = [
        p + tokenizer.decode(r.tokens) + " move left" for p, r in zip(PROMPTS, first, strict=True)
    ]
    texts.append("a prompt nobody asked before")  # nothing stored starts like it
    rows = [Row(None, ids) for ids in _ids(tokenizer, texts)]
    with torch.inference_mode():
        timing = decode(model, rows, 24, {tokenizer.eos_token_id}, tokenizer.pad_token_id, store)
    for row, generated in zip(rows, _generate(model, tokenizer, texts, 24), strict=True):
        assert row.tokens == generated
    prompt_tokens = sum(len(r.prompt) for r in rows)
    assert timing.reused + timing.prefilled == prompt_tokens
    assert timing.reused >= sum(len(ids) for ids in _ids(tokenizer, PROMPTS))
    assert timing.prefill_s > 0 and timing.decode_s > 0


def test_the_store_keeps_one_decode_and_leaves_a_token_to_read():
    from ecot_annotate.backends.llm_prefix import Prefix, PrefixStore, shared_length

    assert shared_length([1, 2, 3], [1, 2, 4, 5]) == 2 and shared_length([], [1]) == 0
    store = PrefixStore()
    store.replace([Prefix([1, 2, 3], []), Prefix([1, 2, 3, 4, 5], [])])
    prefix, n = store.take([1, 2, 3, 4, 9])
    assert prefix.ids == [1, 2, 3, 4, 5] and n == 4
    assert store.take([1, 2, 3])[1] == 2  # the prompt's last token is read for its logits
    store.replace([])
    assert store.take([1, 2, 3]) == (None, 0)


def test_prompts_that_start_alike_have_their_start_read_once(tiny):
    """A first batch's prompts share the system prompt: it is prefilled once for all of them."""
    from ecot_annotate.backends.llm_decode import MIN_SHARED, Row, decode
    from ecot_annotate.backends.llm_prefix import PrefixStore, shared_length
    from ecot_annotate.prompt_texts import load_prompts

    model, tokenizer = tiny
    texts = [load_prompts().system[:400] + " " + p for p in PROMPTS]
    ids = _ids(tokenizer, texts)
    shared = min(shared_length(ids[0], other) for other in ids[1:])
    assert shared >= MIN_SHARED
    rows = [Row(None, prompt) for prompt in ids]
    with torch.inference_mode():
        timing = decode(
            model, rows, 16, {tokenizer.eos_token_id}, tokenizer.pad_token_id, PrefixStore()
        )
    for row, generated in zip(rows, _generate(model, tokenizer, texts, 16), strict=True):
        assert row.tokens == generated
    assert timing.prefilled == sum(len(p) for p in ids) - (len(ids) - 1) * shared
    assert timing.reused == len(ids) * shared
