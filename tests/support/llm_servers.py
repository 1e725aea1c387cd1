"""OpenAI-compatible servers on loopback for the LLM tests.

- `ScriptedServer`: a stdlib HTTP server the test scripts request by request (429, 500, a slow
  answer, a refused response_format, a proxy's HTML page as `Raw`) to exercise the client's retries and fallbacks; its "valid"
  reply is the answer a perfect model would give, computed from the episode data in the prompt.
  It records the most requests it ever had in flight at once (`peak`); the run's preflight
  request (no episode in it) is answered "OK" and recorded apart, in `pings`.
- `TransformersServer`: the real `transformers serve` over a tiny random Llama chat model that
  `build_tiny_chat_model` builds and saves to a folder.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ecot_annotate.text.instruction import parse_instruction
from tests.support.tiny_models import tiny_llama


@dataclass(frozen=True)
class Raw:
    """A body sent as it is, not as JSON: what a proxy in front of the server may answer."""

    body: str
    content_type: str = "text/html"


Reply = tuple[int, dict | Raw, float]  # status, body, seconds to wait before answering

PROXY_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def episode_data(request: dict) -> dict:
    """The episode JSON our prompt embeds in its last user message."""
    user = [m["content"] for m in request["messages"] if m["role"] == "user"][0]
    return json.loads(re.search(r"```json\n(.*?)\n```", user, re.DOTALL).group(1))


def is_ping(request: dict) -> bool:
    """The run's preflight request."""
    from ecot_annotate.backends.llm_preflight import PING

    return request.get("messages") == PING


def _subtask(move: str, obj: str, instruction: str) -> str:
    """About taking hold where the gripper closes, letting go where it opens (as the checks ask)."""
    verb = (
        "grasp" if "close gripper" in move else "release" if "open gripper" in move else "work on"
    )
    return f"{verb} the {obj}" if obj else f"{verb} as the task says: {instruction}"


def perfect_answer(request: dict) -> str:
    """One subtask over all moves, one item per move, every text passing the text checks; for a
    partial repair, the texts it names."""
    keys = request.get("response_format", {}).get("json_schema", {}).get("schema", {})
    if "task" not in keys.get("properties", {"task": None}):  # a partial repair's own schema
        return json.dumps({key: f"Fixed text for {key}." for key in keys["required"]})
    data = episode_data(request)
    obj = parse_instruction(data["instruction"]).obj  # subtasks name it, not the whole instruction
    items = [
        {
            "subtask": _subtask(move["move"], obj, data["instruction"]),
            "subtask_reason": "It is the whole task.",
            "move_reason": f"The arm must {move['move']} now.",
        }
        for move in data["moves"]
    ]
    return json.dumps({"task": f"Do this: {data['instruction']}.", "items": items})


def completion(text: str) -> dict:
    return {
        "id": "c",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
        "usage": {
            "prompt_tokens": 100,
            "completion_tokens": len(text) // 4,
            "total_tokens": 100 + len(text) // 4,
        },
    }


def error(status: int, message: str = "scripted error", retry_after: str = "0") -> Reply:
    """An OpenAI-style error; a 429 carries `retry_after` as its Retry-After header."""
    body = {"error": {"message": message, "type": "scripted", "code": status}}
    return status, {**body, "retry_after": retry_after} if status == 429 else body, 0.0


def valid(request: dict) -> Reply:
    return 200, completion(perfect_answer(request)), 0.0


class ScriptedServer:
    """`script(n, request, headers) -> Reply` decides the reply to the n-th request (from 0); header names are lower case."""

    def __init__(self, script: Callable[[int, dict, dict], Reply], ping: Reply | None = None):
        self.script, self.requests, self.lock = script, [], threading.Lock()
        self.ping = ping or (200, completion("OK"), 0.0)
        self.in_flight = self.peak = 0
        self.pings: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if is_ping(body):
                    outer.pings.append({"body": body, "headers": headers})
                    self._reply(*outer.ping[:2])
                    return
                with outer.lock:
                    n = len(outer.requests)
                    outer.requests.append({"body": body, "headers": headers})
                    outer.in_flight += 1
                    outer.peak = max(outer.peak, outer.in_flight)
                try:
                    status, payload, delay = outer.script(n, body, headers)
                    time.sleep(delay)
                finally:
                    with outer.lock:
                        outer.in_flight -= 1
                self._reply(status, payload)

            def _reply(self, status: int, payload: dict | Raw) -> None:
                raw = isinstance(payload, Raw)
                data = (payload.body if raw else json.dumps(payload)).encode()
                try:
                    self.send_response(status)
                    self.send_header(
                        "Content-Type", payload.content_type if raw else "application/json"
                    )
                    self.send_header("Content-Length", str(len(data)))
                    if status == 429:
                        self.send_header("Retry-After", payload.get("retry_after", "0"))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (timeout tests)

            def log_message(self, *args):
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> ScriptedServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


CHAT_TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<s>assistant: {% endif %}"
)


def build_tiny_chat_model(folder: Path) -> Path:
    """A random one-layer Llama with a byte-level BPE tokenizer trained here, and a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from ecot_annotate.prompt_texts import load_prompts

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1000,
        special_tokens=["<unk>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(
        [
            load_prompts().system,
            '{"instruction":"put the cup in the sink","primitives":["move left","stop"]}',
        ],
        trainer,
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)
    model = tiny_llama(len(tokenizer), max_position_embeddings=4096, bos_token_id=1, eos_token_id=2)
    model.save_pretrained(folder)
    return folder


class TransformersServer:
    """`transformers serve MODEL_DIR` on a free loopback port; stopped (and waited for) on exit."""

    def __init__(self, model_dir: Path, hub_cache: Path, log: Path):
        self.model_dir, self.hub_cache, self.log = model_dir, hub_cache, log
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> TransformersServer:
        self.hub_cache.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HF_HUB_CACHE": str(self.hub_cache), "HF_HUB_OFFLINE": "1"}
        command = [
            str(Path(sys.executable).parent / "transformers"),
            "serve",
            str(self.model_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"transformers serve exited with {self.process.returncode}: {self.log.read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/health", timeout=2
                ) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        raise RuntimeError(f"transformers serve did not come up: {self.log.read_text()[-2000:]}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
