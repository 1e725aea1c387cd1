"""The hub is asked once, briefly; when it cannot be reached the run goes offline and says so.

The unreachable hub is a closed port on this machine (HF_ENDPOINT), never an outside address.
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading

import pytest

from ecot_annotate.backends import hub
from tests.support.datasets import REPO as REPO_PATH

REPO = str(REPO_PATH)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fresh_hub(monkeypatch):
    """No earlier decision, downloads allowed, and the hub client's own switch restored afterwards."""
    from huggingface_hub import constants

    monkeypatch.setattr(hub, "_state", {})
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return constants


def test_an_unreachable_hub_turns_the_run_offline_once(fresh_hub, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    message = hub.settle(["IDEA-Research/grounding-dino-tiny"])
    assert message is not None and "cannot be reached" in message and "offline" in message
    assert os.environ["HF_HUB_OFFLINE"] == "1" and fresh_hub.HF_HUB_OFFLINE is True
    assert hub.why_not_downloaded(OSError()) == "the hub cannot be reached from this machine"
    assert hub.settle(["facebook/sam-vit-base"]) is None  # said once


def test_no_check_when_offline_is_asked_for_or_no_model_is_a_hub_id(
    fresh_hub, monkeypatch, tmp_path
):
    def fail(*_args, **_kwargs):
        raise AssertionError("the hub was asked")

    monkeypatch.setattr(hub, "reachable", fail)
    assert hub.settle([str(tmp_path), "./model", None]) is None
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub.settle(["org/model"]) is None


def test_any_http_answer_means_the_hub_is_there(fresh_hub, monkeypatch):
    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):  # noqa: N802 - the name http.server calls
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        assert hub.settle(["org/model"]) is None
        assert "HF_HUB_OFFLINE" not in os.environ and not hub.unreachable()
    finally:
        server.shutdown()


def test_missing_weights_with_the_hub_unreachable_fail_fast_naming_the_download_command(
    sample_dir, tmp_path
):
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    env.update(
        HF_ENDPOINT=f"http://127.0.0.1:{_closed_port()}",
        HF_HOME=str(tmp_path / "hf"),  # an empty cache
        PYTHONPATH=REPO,
    )
    args = ["annotate", str(sample_dir), "--out", str(tmp_path / "o"), "--detector", "owlv2"]
    done = subprocess.run(
        [sys.executable, "-c", "from ecot_annotate.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,  # the acceptance bound: a missing model is reported in under 10 s
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("note: the Hugging Face hub"), lines
    assert lines[1].startswith("error: model 'google/owlv2-base-patch16-ensemble'")
    assert "`hf download google/owlv2-base-patch16-ensemble`" in lines[1]
    assert done.stdout == ""
