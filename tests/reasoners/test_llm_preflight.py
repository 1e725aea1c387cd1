"""Before any work, one cheap request tells a wrong key, an unknown model or an unreachable server
apart, each as one line; during the run, a 429's Retry-After sets the wait before the retry."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from ecot_annotate.backends import llm_client
from ecot_annotate.backends.llm_client import ChatClient
from ecot_annotate.backends.llm_preflight import preflight
from ecot_annotate.config import LLMConfig
from ecot_annotate.errors import EcotError
from tests.support.llm_servers import (
    PROXY_PAGE,
    Raw,
    ScriptedServer,
    completion,
    error,
    free_port,
)

ENV = "ECOT_TEST_PREFLIGHT_KEY"


def config(base_url: str) -> LLMConfig:
    return LLMConfig(base_url=base_url, model="served", api_key_env=ENV, timeout_s=5)


@pytest.mark.parametrize(
    "ping, expected",
    [
        (
            error(401, "bad key sk-secret-123"),
            "refused the key in $ECOT_TEST_PREFLIGHT_KEY (HTTP 401",
        ),
        (error(404, "model 'served' not found"), "does not serve the model 'served' (HTTP 404"),
        (error(503, "overloaded"), "answered HTTP 503"),
        ((200, Raw(PROXY_PAGE), 0.0), "answered with something that is not a chat completion"),
        ((200, Raw(PROXY_PAGE, "application/json"), 0.0), "a body that is not JSON"),
    ],
)
def test_preflight_names_what_is_wrong(ping, expected, monkeypatch):
    monkeypatch.setenv(ENV, "sk-secret-123")
    server = ScriptedServer(lambda n, req, headers: error(500), ping=ping)
    with server, pytest.raises(EcotError) as raised:
        preflight(config(server.base_url))
    message = str(raised.value)
    assert expected in message and "\n" not in message and "sk-secret-123" not in message
    assert len(server.pings) == 1 and server.requests == []


def test_preflight_passes_and_closed_port_fails(monkeypatch):
    with ScriptedServer(lambda n, req, headers: error(500)) as server:
        preflight(config(server.base_url))
    with pytest.raises(EcotError, match="cannot reach the server at http://127.0.0.1:"):
        preflight(config(f"http://127.0.0.1:{free_port()}/v1"))


def test_retry_after_sets_the_wait(monkeypatch):
    waits: list[float] = []
    clock = SimpleNamespace(sleep=waits.append, perf_counter=time.perf_counter)
    monkeypatch.setattr(llm_client, "time", clock)  # the client's waits only, not the server's
    script = [error(429, retry_after="1.5"), (200, completion("{}"), 0.0)]
    with ScriptedServer(lambda n, req, headers: script[n]) as server:
        answer = ChatClient(config(server.base_url)).complete([{"role": "user", "content": "x"}])
    assert answer.text == "{}" and waits == [1.5]
