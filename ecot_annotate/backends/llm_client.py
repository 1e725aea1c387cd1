"""Chat completions against any OpenAI-compatible server, with the care a long run needs.

- Structured output first (`response_format` json_schema, the request's own schema); a server
  that refuses it (HTTP 400/422) is asked again in JSON mode, then with no response_format; the
  mode that worked is kept for later requests and reported with every answer.
- Retries with exponential backoff (and the server's Retry-After) on 429, 5xx, timeouts and
  connection errors; other errors fail at once. Failures surface as `RequestFailed(kind, ...)`.
- A process-wide limit on requests in flight per server (`concurrency`), shared by all threads.
- The API key is read from the named environment variable only; error texts never include it.
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import openai

from ecot_annotate.config import LLMConfig
from ecot_annotate.counting import Count, no_count
from ecot_annotate.errors import EcotError

MODES = ("json_schema", "json_object", "text")
BACKOFF_S = 0.5  # first retry waits about this long, doubling after each failure
MAX_BACKOFF_S = 8.0
NO_KEY = "no-key"  # sent to servers that need no key (a local vLLM, llama.cpp, transformers serve)

_SLOTS: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()
_IN_FLIGHT = {"requests": 0}  # requests of this process now waiting on a server


def in_flight() -> int:
    """Requests this process has sent and not yet had answered (for progress lines)."""
    return _IN_FLIGHT["requests"]


def _add_in_flight(n: int) -> None:
    with _SLOTS_LOCK:
        _IN_FLIGHT["requests"] += n


class RequestFailed(Exception):
    """A request that could not be completed: kind is timeout | connection | rate_limited | server_error | rejected."""

    def __init__(self, kind: str, detail: str):
        self.kind, self.detail = kind, detail
        super().__init__(f"{kind}: {detail}")


@dataclass
class Completion:
    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    mode: str = "text"  # json_schema | json_object | text: how the answer's form was asked for


@dataclass
class Request:
    """One chat request; with a schema, the answer is asked for as JSON in that schema."""

    messages: list[dict[str, Any]]
    schema: dict[str, Any] | None = None


def api_key(config: LLMConfig, user: str = "--reasoner llm") -> str:
    """The key from its environment variable; a placeholder for self-hosted servers without one."""
    key = os.environ.get(config.api_key_env, "").strip()
    if key:
        return key
    if config.base_url is None:
        raise EcotError(
            f"{user} with OpenAI's API needs a key in ${config.api_key_env} (or pass --llm-base-url for a server that needs none)"
        )
    return NO_KEY


def check_llm_config(config: LLMConfig) -> None:
    """Fail before the run starts, with one line, on settings that cannot work."""
    if config.concurrency < 1 or config.max_retries < 0 or config.timeout_s <= 0:
        raise EcotError(
            "--llm-concurrency must be >= 1, --llm-max-retries >= 0 and --llm-timeout > 0"
        )
    if config.backend == "transformers":
        if config.batch_size < 1:
            raise EcotError("--llm-batch-size must be >= 1")
        return
    if not config.model:
        raise EcotError("--reasoner llm needs --llm-model (the model name the server serves)")
    api_key(config)


def _slot(config: LLMConfig) -> threading.BoundedSemaphore:
    key = (config.base_url or "openai", config.concurrency)
    with _SLOTS_LOCK:
        return _SLOTS.setdefault(key, threading.BoundedSemaphore(config.concurrency))


def _failure_kind(exc: Exception) -> str | None:
    """The retryable kind of a failure, or None when asking again cannot help."""
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code == 429:
            return "rate_limited"
        if exc.status_code == 408:
            return "timeout"
        if exc.status_code >= 500:
            return "server_error"
    return None


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds <= 60 else None


class ChatClient:
    """Chat completions for one worker; build it in the worker (it holds a live HTTP client).

    `schema` is the answer schema of requests that name none; without any, answers are plain text.
    """

    def __init__(
        self, config: LLMConfig, schema: dict[str, Any] | None = None, count: Count = no_count
    ):
        self.config, self.schema, self.count = config, schema, count
        self._key = api_key(config)
        self.client = openai.OpenAI(
            api_key=self._key, base_url=config.base_url, timeout=config.timeout_s, max_retries=0
        )
        self.model = str(config.model)
        self.cache_id = config.base_url or "openai"
        self._lock = threading.Lock()
        self.mode = 0  # index into MODES: the most structured mode the server accepted so far

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if len(self._key) >= 4 else text

    def _create(self, messages: list[dict[str, Any]], mode: str, schema: dict[str, Any] | None):
        extra: dict[str, Any] = {}
        if mode == "json_schema":
            extra["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "ecot_answer", "schema": schema},
            }
        elif mode == "json_object":
            extra["response_format"] = {"type": "json_object"}
        with _slot(self.config):
            start = time.perf_counter()
            _add_in_flight(1)
            try:
                return self.client.chat.completions.create(
                    model=self.config.model,
                    messages=messages,
                    max_tokens=self.config.max_tokens,
                    temperature=0,
                    **extra,
                )
            finally:
                _add_in_flight(-1)
                self.count("llm_requests", 1)
                self.count("llm_request_ms", int(1000 * (time.perf_counter() - start)))

    def complete(
        self, messages: list[dict[str, Any]], schema: dict[str, Any] | None = None
    ) -> Completion:
        schema = schema if schema is not None else self.schema
        retries = 0
        while True:
            mode = MODES[self.mode] if schema is not None else "text"
            try:
                response = self._create(messages, mode, schema)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                if mode != "text":
                    with self._lock:  # requests in flight together downgrade once
                        if self.mode == MODES.index(mode):
                            self.mode += 1
                            self.count("llm_format_downgrades", 1)
                    continue
                raise RequestFailed(
                    "rejected", self._redact(f"HTTP {exc.status_code}: {exc.message}")[:300]
                ) from None
            except openai.APIError as exc:
                kind = _failure_kind(exc)
                status = getattr(exc, "status_code", None)
                what = f"HTTP {status}" if status else type(exc).__name__
                if kind is None:
                    raise RequestFailed(
                        "rejected", self._redact(f"{what}: {getattr(exc, 'message', '')}")[:300]
                    ) from None
                if retries >= self.config.max_retries:
                    raise RequestFailed(kind, f"{what} after {retries} retries") from None
                wait = _retry_after(exc)
                time.sleep(
                    wait
                    if wait is not None
                    else min(BACKOFF_S * 2**retries, MAX_BACKOFF_S) * random.uniform(0.8, 1.2)
                )
                retries += 1
                self.count("llm_retries", 1)
                continue
            return self._completion(response, mode)

    def complete_many(self, requests: list[Request]) -> list[Completion | RequestFailed]:
        """Answers in request order, up to `concurrency` requests in flight at once."""

        def one(request: Request) -> Completion | RequestFailed:
            try:
                return self.complete(request.messages, request.schema)
            except RequestFailed as exc:
                return exc

        if len(requests) <= 1:
            return [one(r) for r in requests]
        with ThreadPoolExecutor(min(self.config.concurrency, len(requests))) as pool:
            return list(pool.map(one, requests))

    def _completion(self, response, mode: str) -> Completion:
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        self.count("llm_prompt_tokens", prompt_tokens)
        self.count("llm_completion_tokens", completion_tokens)
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content or "") if choice is not None else ""
        return Completion(
            text,
            choice.finish_reason if choice is not None else None,
            prompt_tokens,
            completion_tokens,
            mode,
        )
