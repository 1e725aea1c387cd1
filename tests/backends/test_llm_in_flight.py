"""The client counts the requests it has in flight, for progress lines."""

from __future__ import annotations

from ecot_annotate.backends import llm_client
from ecot_annotate.config import LLMConfig
from tests.support.llm_servers import ScriptedServer, completion


def test_a_request_counts_while_the_server_holds_it():
    seen = []

    def script(n, request, headers):
        seen.append(llm_client.in_flight())  # the server runs in this process: the client's count
        return 200, completion("an answer"), 0.0

    with ScriptedServer(script) as server:
        config = LLMConfig(base_url=server.base_url, model="scripted", api_key_env="ECOT_NO_KEY")
        client = llm_client.ChatClient(config, schema=None)
        assert client.complete([{"role": "user", "content": "hi"}]).text == "an answer"
    assert seen == [1] and llm_client.in_flight() == 0
