"""The `server` LLM backend: any OpenAI-compatible server (OpenAI, vLLM, SGLang, llama.cpp).

Requests wait on the network, so episodes reach it one per thread, `--llm-concurrency` threads per
worker process, each with its own requests in flight.
"""

from __future__ import annotations

from ecot_annotate.backends.llm_backend import LLM_BACKENDS, Completer, LLMBackend
from ecot_annotate.backends.llm_client import ChatClient, api_key
from ecot_annotate.backends.llm_preflight import preflight
from ecot_annotate.config import LLMConfig
from ecot_annotate.counting import Count
from ecot_annotate.errors import EcotError


def check_server_settings(config: LLMConfig) -> None:
    """Fail before the run starts, with one line, on settings that cannot work."""
    if config.concurrency < 1 or config.max_retries < 0 or config.timeout_s <= 0:
        raise EcotError(
            "--llm-concurrency must be >= 1, --llm-max-retries >= 0 and --llm-timeout > 0"
        )
    if not config.model:
        raise EcotError("--reasoner llm needs --llm-model (the model name the server serves)")
    api_key(config)


def _build(config: LLMConfig, count: Count) -> Completer:
    return ChatClient(config, count=count)


LLM_BACKENDS.register("server")(
    LLMBackend(
        help="server: any OpenAI-compatible server (vLLM, SGLang for scale)",
        build=_build,
        check=check_server_settings,
        ready=preflight,
        batched=False,
    )
)
