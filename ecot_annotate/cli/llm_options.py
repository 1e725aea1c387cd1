"""The --llm-* options of `annotate`, as one decorator, and the LLMConfig they build.

The API key is never an option (it would land in shell history and process lists): only the name
of the environment variable that holds it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ecot_annotate.config import LLMConfig

_DEFAULTS = LLMConfig()
# fmt: off
_OPTIONS = (
    click.option("--llm-base-url", default=None, help="OpenAI-compatible server, e.g. http://localhost:8000/v1 (vLLM, SGLang, Ollama, llama.cpp). Default: OpenAI's."),
    click.option("--llm-model", default=None, help="Model name as the server knows it (required with --reasoner llm)."),
    click.option("--llm-api-key-env", default=_DEFAULTS.api_key_env, show_default=True, help="Environment variable holding the API key."),
    click.option("--llm-timeout", type=float, default=_DEFAULTS.timeout_s, show_default=True, help="Seconds per request."),
    click.option("--llm-concurrency", type=int, default=_DEFAULTS.concurrency, show_default=True, help="Requests in flight per worker process."),
    click.option("--llm-max-retries", type=int, default=_DEFAULTS.max_retries, show_default=True, help="Retries on 429, 5xx, timeouts and connection errors."),
    click.option("--llm-max-tokens", type=int, default=_DEFAULTS.max_tokens, show_default=True, help="Completion token limit per request."),
    click.option("--llm-cache-dir", default=None, help="Answer cache folder (default: $ECOT_ANNOTATE_CACHE or ~/.cache/ecot-annotate/llm)."),
    click.option("--no-cache", is_flag=True, help="Ask the server even when an answer is cached."),
)
# fmt: on


def llm_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def pop_llm_config(options: dict[str, Any]) -> LLMConfig:
    """Build the LLMConfig from (and remove) the --llm-* values among a command's keyword arguments."""
    return LLMConfig(
        base_url=options.pop("llm_base_url"),
        model=options.pop("llm_model"),
        api_key_env=options.pop("llm_api_key_env"),
        timeout_s=options.pop("llm_timeout"),
        concurrency=options.pop("llm_concurrency"),
        max_retries=options.pop("llm_max_retries"),
        max_tokens=options.pop("llm_max_tokens"),
        cache_dir=options.pop("llm_cache_dir"),
        cache=not options.pop("no_cache"),
    )
