"""The --llm-* options of `annotate`, as one decorator, and the LLMConfig they build.

The API key is never an option (it would land in shell history and process lists): only the name
of the environment variable that holds it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

import click

from ecot_annotate.backends.llm_backends import LLM_BACKENDS
from ecot_annotate.config import LLMConfig
from ecot_annotate.prompt_texts import LLM_MODES

_DEFAULTS = LLMConfig()
_OPTION_OF = {"timeout_s": "llm_timeout", "max_fallback_rate": "max_fallback_rate"}  # else llm_NAME
# fmt: off
# fmt: off
_OPTIONS = (
    click.option("--llm-backend", type=click.Choice(LLM_BACKENDS.names()), default=_DEFAULTS.backend, show_default=True, help="; ".join(LLM_BACKENDS.get(name).help for name in LLM_BACKENDS.names()) + "."),
    click.option("--llm-base-url", default=None, help="OpenAI-compatible server, e.g. http://localhost:8000/v1 (vLLM, SGLang, Ollama, llama.cpp). Default: OpenAI's."),
    click.option("--llm-model", default=None, help="server: the model name the server serves (required); transformers: a hub id, a local folder or a .gguf file (default: SmolLM2-135M-Instruct, converted once into $ECOT_ANNOTATE_MODELS or ~/.cache/ecot-annotate/models)."),
    click.option("--llm-api-key-env", default=_DEFAULTS.api_key_env, show_default=True, help="Environment variable holding the API key."),
    click.option("--llm-timeout", type=float, default=_DEFAULTS.timeout_s, show_default=True, help="Seconds per request."),
    click.option("--llm-concurrency", type=int, default=_DEFAULTS.concurrency, show_default=True, help="server: requests in flight per worker process, across episodes (the only cap on them)."),
    click.option("--llm-batch-size", type=int, default=_DEFAULTS.batch_size, show_default=True, help="transformers: episodes generated together in one batch."),
    click.option("--llm-device", type=click.Choice(("auto", "cpu", "cuda")), default=_DEFAULTS.device, show_default=True, help="transformers: where the model runs (auto = cuda when a GPU is visible)."),
    click.option("--max-fallback-rate", type=click.FloatRange(0.0, 1.0), default=_DEFAULTS.max_fallback_rate, show_default=True, help="Exit 1 when more than this share of episodes fell back to the rules because the LLM service failed them (connection, timeout, auth, server errors); the rate is in summary.json either way."),
    click.option("--llm-max-retries", type=int, default=_DEFAULTS.max_retries, show_default=True, help="Retries on 429, 5xx, timeouts and connection errors."),
    click.option("--llm-max-tokens", type=int, default=_DEFAULTS.max_tokens, show_default=True, help="Completion token limit per request."),
    click.option("--llm-max-text-chars", type=click.IntRange(16, 1000), default=_DEFAULTS.max_text_chars, show_default=True, help="Longest text (task, subtask, reason) an answer may hold; part of the answer's JSON Schema."),
    click.option("--llm-mode", type=click.Choice(LLM_MODES), default=None, help="write: the model writes the language from the episode; edit: the prompt holds the rule writer's notes on each move (its stage and object) and the model writes the sentences, keeping the structure (for small models). Default: edit for --llm-backend transformers, write for a server."),
    click.option("--llm-cache-dir", default=None, help="Answer cache folder (default: $ECOT_ANNOTATE_CACHE or ~/.cache/ecot-annotate/llm)."),
    click.option("--no-cache", is_flag=True, help="Ask the server even when an answer is cached."),
)
# fmt: on
# fmt: on


def llm_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def pop_llm_config(options: dict[str, Any]) -> LLMConfig:
    """Build the LLMConfig from (and remove) the --llm-* values among a command's keyword arguments."""
    values = {
        f.name: options.pop(_OPTION_OF.get(f.name, f"llm_{f.name}"))
        for f in fields(LLMConfig)
        if f.name != "cache"
    }
    return LLMConfig(**values, cache=not options.pop("no_cache"))
