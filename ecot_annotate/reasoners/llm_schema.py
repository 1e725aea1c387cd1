"""The JSON Schema of one episode's answer, sent as `response_format` and compiled into a grammar.

schemas/llm_answer.json is the general shape; the per-episode schema fixes the number of items
to the episode's number of moves and bounds every text, so a model whose decoding is constrained
by it cannot give an answer that fails a check. The schema is written out without `$ref` so that
every structured-output engine (OpenAI, vLLM, SGLang, llama.cpp, Ollama, xgrammar) reads it.
"""

from __future__ import annotations

import copy
from typing import Any

from ecot_annotate.prompt_texts import load_prompts

MAX_CHARS = 160  # one sentence; the text pattern of schemas/llm_answer.json says the same
ITEM_FIELDS = ("subtask", "subtask_reason", "move_reason")


def text_pattern(max_chars: int = MAX_CHARS) -> str:
    """Non-empty, starts with a visible character, no '@', at most `max_chars` characters."""
    return f"^[^@\\s][^@]{{0,{max_chars - 1}}}$"


def text_schema(max_chars: int = MAX_CHARS) -> dict[str, Any]:
    return {"type": "string", "pattern": text_pattern(max_chars)}


def answer_schema(n_moves: int, max_chars: int = MAX_CHARS) -> dict[str, Any]:
    """The answer shape of schemas/llm_answer.json with exactly `n_moves` items."""
    shape = copy.deepcopy(load_prompts().schema)
    text = text_schema(max_chars)
    item = shape["properties"]["items"]["items"]
    item["properties"] = {name: dict(text) for name in ITEM_FIELDS}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": shape["required"],
        "properties": {
            "task": dict(text),
            "items": {
                "type": "array",
                "minItems": n_moves,
                "maxItems": n_moves,
                "items": item,
            },
        },
    }


def fields_schema(keys: list[str], max_chars: int = MAX_CHARS) -> dict[str, Any]:
    """An object with exactly these text fields: the answer to a partial repair."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(keys),
        "properties": {key: text_schema(max_chars) for key in keys},
    }
