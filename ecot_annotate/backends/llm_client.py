"""Chat completions against any OpenAI-compatible server, with the care a long run needs.

- Structured output first (`response_format` json_schema, the request's own schema). A request
  the server refuses (HTTP 400/422) is asked again in JSON mode, then with no response_format.
  That step down is decided per request: a 400 has many causes (a prompt too long, a proxy's
  hiccup), so one refusal must not cost every later request its schema. Only a refusal whose
  message names response_format, json_schema or json_object, which says the server cannot do
  that mode, makes the client start later requests one mode lower. Every answer reports the
  mode that worked.
- Retries with exponential backoff (and the server's Retry-After) on 429, 5xx, timeouts,
  connection errors and HTTP 200 answers that are not a chat completion (a proxy's HTML error
  page); other errors fail at once. Failures surface as `RequestFailed(kind, ...)`, which the
  reasoner turns into a fallback to the rules.
- One request at a time per call: how many are in flight is decided by the caller's threads
  (the StageFn pool, sized by the LLM backend's `concurrency`), nowhere else.
- The API key is read from the named environment variable only; error texts and answer texts
  never include it (a server may echo it back), so it cannot reach a cache entry or an output.
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from ecot_annotate.config import LLMConfig
from ecot_annotate.counting import Count, no_count
from ecot_annotate.errors import EcotError

MODES = ("json_schema", "json_object", "text")
BACKOFF_S = 0.5  # first retry waits about this long, doubling after each failure
MAX_BACKOFF_S = 8.0
NO_KEY = "no-key"  # sent to servers that need no key (a local vLLM, llama.cpp, transformers serve)

_IN_FLIGHT_LOCK = threading.Lock()
_IN_FLIGHT = {"requests": 0}  # requests of this process now waiting on a server


def in_flight() -> int:
    """Requests this process has sent and not yet had answered (for progress lines)."""
    return _IN_FLIGHT["requests"]


def _add_in_flight(n: int) -> None:
    with _IN_FLIGHT_LOCK:
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
    follow_up: bool = False  # asks again after an answer, in the same conversation (a repair)


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


FORMAT_WORDS = ("response_format", "json_schema", "json_object")  # a refusal naming the mode


class _NotACompletion(Exception):
    """An HTTP 200 whose body is not a chat completion (a proxy's error page, say)."""


def _refuses_format(exc: openai.APIStatusError) -> bool:
    """Whether a 400/422 says the server cannot do the response format, not just this request."""
    text = f"{exc.message} {getattr(exc, 'body', '')}".lower()
    return any(word in text for word in FORMAT_WORDS)


def _describe(exc: Exception) -> tuple[str | None, str]:
    """The retryable kind of a failure (None: asking again cannot help) and a few words on it."""
    if isinstance(exc, _NotACompletion):
        return "server_error", str(exc)
    status = getattr(exc, "status_code", None)
    return _failure_kind(exc), f"HTTP {status}" if status else type(exc).__name__


class ChatClient:
    """Chat completions for one worker; build it in the worker (it holds a live HTTP client).

    `schema` is the answer schema of requests that name none; without any, answers are plain text.
    """

    def __init__(
        self, config: LLMConfig, schema: dict[str, Any] | None = None, count: Count = no_count
    ):
        self.config, self.schema, self.count = config, schema, count
        self._key = api_key(config)
        raw = os.environ.get(config.api_key_env, "")
        self._secrets = [s for s in {self._key, raw, raw.strip()} if len(s) >= 4 and s != NO_KEY]
        self.client = openai.OpenAI(
            api_key=self._key, base_url=config.base_url, timeout=config.timeout_s, max_retries=0
        )
        self.model = str(config.model)
        self.cache_id = config.base_url or "openai"
        self._lock = threading.Lock()
        self.mode = 0  # index into MODES: where requests start; lowered only by a format refusal

    def _redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def _create(self, messages: list[dict[str, Any]], mode: str, schema: dict[str, Any] | None):
        extra: dict[str, Any] = {}
        if mode == "json_schema":
            extra["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "ecot_answer", "schema": schema},
            }
        elif mode == "json_object":
            extra["response_format"] = {"type": "json_object"}
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
        except ValueError:  # a body that is not JSON, though the status said success
            raise _NotACompletion("HTTP 200 with a body that is not JSON") from None
        finally:
            _add_in_flight(-1)
            self.count("llm_requests", 1)
            self.count("llm_request_ms", int(1000 * (time.perf_counter() - start)))

    def complete(
        self, messages: list[dict[str, Any]], schema: dict[str, Any] | None = None
    ) -> Completion:
        schema = schema if schema is not None else self.schema
        mode = MODES[self.mode] if schema is not None else "text"
        retries = 0
        while True:
            try:
                return self._completion(self._create(messages, mode, schema), mode)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                if mode == "text":
                    raise RequestFailed(
                        "rejected", self._redact(f"HTTP {exc.status_code}: {exc.message}")[:300]
                    ) from None
                mode = self._step_down(mode, exc)
                continue
            except (openai.APIError, _NotACompletion) as exc:
                kind, what = _describe(exc)
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

    def _step_down(self, mode: str, exc: openai.APIStatusError) -> str:
        """The next simpler mode for this request, and for later ones if the server cannot do `mode`."""
        lower = MODES.index(mode) + 1
        self.count("llm_format_downgrades", 1)
        if _refuses_format(exc):
            with self._lock:
                self.mode = max(self.mode, lower)
        return MODES[lower]

    def complete_many(self, requests: list[Request]) -> list[Completion | RequestFailed]:
        """Answers in request order, one request after another (see the module's docstring)."""
        results: list[Completion | RequestFailed] = []
        for request in requests:
            try:
                results.append(self.complete(request.messages, request.schema))
            except RequestFailed as exc:
                results.append(exc)
        return results

    def _completion(self, response: Any, mode: str) -> Completion:
        """The answer, its key redacted; a body that is no chat completion raises _NotACompletion."""
        choices = (
            getattr(response, "choices", None) if isinstance(response, ChatCompletion) else None
        )
        message = getattr(choices[0], "message", None) if choices else None
        if message is None:
            raise _NotACompletion("HTTP 200 with a body that is not a chat completion")
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        self.count("llm_prompt_tokens", prompt_tokens)
        self.count("llm_completion_tokens", completion_tokens)
        return Completion(
            self._redact(str(getattr(message, "content", None) or "")),
            choices[0].finish_reason,
            prompt_tokens,
            completion_tokens,
            mode,
        )
