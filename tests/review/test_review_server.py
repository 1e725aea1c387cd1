"""The review server through Starlette's test client: the token, the queue, changes and conflicts,
escaping; and `score --labels OUT/review` reading what people set."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest
from click.testing import CliRunner

from ecot_annotate.store.corrections import corrections_path, read_lines
from ecot_annotate.store.run_output import episode_keys

PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.fixture
def client(run):
    from starlette.testclient import TestClient

    from ecot_annotate.review.server import make_app

    return TestClient(make_app(run, "ann", "secret-token"))


def _post(client, index, change, token="secret-token"):
    body = {"id": uuid.uuid4().hex, **change}
    return client.post(
        f"/api/episodes/{index}/changes", json=body, headers={"X-Review-Token": token}
    )


def test_every_request_needs_the_token(client):
    for path in ("/", "/index.html", "/episodes/00000.html", "/assets/review.js"):
        assert client.get(path).status_code == 403, path
    assert client.get("/index.html?token=wrong").status_code == 403
    assert _post(client, 0, {"verdict": "accept", "version": 0}, token="wrong").status_code == 403
    page = client.get("/index.html?token=secret-token")
    assert page.status_code == 200 and "Review queue" in page.text
    assert client.get("/assets/review.js").status_code == 200  # the cookie the URL set
    client.cookies.clear()
    assert _post(client, 0, {"verdict": "accept", "version": 0}).status_code == 200  # header


def test_the_command_binds_loopback_unless_told():
    from ecot_annotate.cli import main

    host = next(p for p in main.commands["review"].params if p.name == "host")
    assert host.default == "127.0.0.1"


def test_the_queue_lists_every_episode_with_its_reasons_and_progress(client, run):
    _post(client, 1, {"verdict": "reject", "reason": PAYLOAD, "version": 0})
    page = client.get("/index.html?token=secret-token").text
    keys = episode_keys(run, corrected=False)
    assert all(key in page for key in keys)
    assert "nothing flagged" in page  # a clean sample: no evidence against any episode
    assert "1</b> of 6 reviewed" in page and "1 rejected" in page
    episode = client.get("/episodes/00001.html").text
    assert PAYLOAD not in episode and "&lt;img src=x" in episode
    assert "rejected" in episode


def test_a_change_on_an_old_version_is_a_conflict_and_both_lines_stay(client, run):
    first = _post(client, 2, {"field": "move_reason", "steps": [0, 3], "value": "first", "version": 0})  # fmt: skip
    assert first.json()["conflict"] is None and first.json()["version"] == 1
    second = _post(client, 2, {"field": "move_reason", "steps": [2, 2], "value": "second", "version": 0})  # fmt: skip
    assert second.json()["conflict"]["reviewer"] == "ann"
    lines = read_lines(corrections_path(run))
    assert [line.change.value for line in lines] == ["first", "second"]
    key = episode_keys(run)[2]
    from ecot_annotate.store.run_output import episode_table

    reasons = episode_table(run, key, ["step", "move_reason"]).column("move_reason").to_pylist()
    assert reasons[2] == "first"  # the first person's edit stands


def test_the_reviewer_is_the_one_the_page_sends_else_the_default(client, run):
    named = _post(client, 0, {"verdict": "accept", "reason": "", "version": 0, "reviewer": "zoe"})
    unnamed = _post(client, 1, {"verdict": "accept", "reason": "", "version": 0})
    assert named.json()["line"]["reviewer"] == "zoe" and unnamed.json()["line"]["reviewer"] == "ann"
    conflict = _post(client, 0, {"verdict": "reject", "reason": "no", "version": 0, "reviewer": "bo"})  # fmt: skip
    assert conflict.json()["conflict"]["reviewer"] == "zoe"


def test_bad_changes_are_refused_with_the_reason(client, run):
    assert _post(client, 0, {"field": "plan", "steps": [0, 999], "value": "x", "version": 0}).status_code == 400  # fmt: skip
    refused = _post(client, 0, {"field": "colour", "steps": [0, 0], "value": "x", "version": 0})
    assert refused.status_code == 400 and "field must be one of" in refused.json()["error"]
    assert _post(client, 0, {"verdict": "accept"}).status_code == 400  # no version
    assert not corrections_path(run).exists()


def test_score_reads_the_review_folder_as_labels(client, run):
    from ecot_annotate.cli import main

    _post(client, 0, {"verdict": "accept", "reason": "", "version": 0})
    _post(client, 1, {"verdict": "reject", "reason": "wrong", "version": 0})
    _post(client, 2, {"field": "move", "steps": [0, 1], "value": "stop", "version": 0})
    result = CliRunner().invoke(main, ["score", str(run), "--labels", str(run / "review"), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["episodes"] == 2
    assert figures["review"]["accepted_unchanged_share"] == 0.5
    assert figures["boundaries"]["f1"] == 1.0  # boundaries unchanged in both
    assert figures["primitives"]["steps"] == 2 and figures["primitives"]["accuracy"] == 0.0
    text = CliRunner().invoke(main, ["score", str(run), "--labels", str(run / "review")])
    assert "1 accepted unchanged, 1 corrected, 1 rejected" in text.output


def test_the_command_prints_a_loopback_url_with_its_token(run):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    main = "from ecot_annotate.cli import main; main()"
    command = [sys.executable, "-c", main, "review", str(run), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split()[3]
        assert url.startswith(f"http://127.0.0.1:{port}/?token=")
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url) as page:
                    assert "Review queue" in page.read().decode()
                break
            except urllib.error.HTTPError:
                raise
            except urllib.error.URLError:  # not listening yet
                assert time.monotonic() < deadline
                time.sleep(0.1)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html")
        assert refused.value.code == 403
    finally:
        server.terminate()
        server.wait(10)
