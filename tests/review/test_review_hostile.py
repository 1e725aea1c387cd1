"""Hostile requests against the real review app: every one answers 4xx and writes nothing, no
file under OUT ever holds the token, every response forbids framing and foreign code, and a busy
port is one line, not a printed token."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from ecot_annotate.store.corrections import corrections_path

TOKEN = "hostile-test-token-0123456789"
ACCEPT = {"verdict": "accept", "reason": "", "version": 0, "id": "ok-1"}


@pytest.fixture
def client(run):
    from starlette.testclient import TestClient

    from ecot_annotate.review.server import make_app

    return TestClient(make_app(run, "ann", TOKEN))


def _with(**fields) -> dict:
    return {**ACCEPT, **fields}


HOSTILE_JSON = [
    _with(evil="x", token=TOKEN),  # fields the format does not have, the token among them
    _with(evil="x"),
    _with(time="2020-01-01"),  # fields the server sets
    _with(episode="someone-else"),
    _with(config_hash="0ld"),
    _with(conflict={"time": "t", "reviewer": "r", "version": 0}),
    {"field": "plan", "steps": [True, True], "value": "x", "version": 0, "id": "b"},
    _with(version=True),
    _with(version=-5),
    _with(version=1.5),
    {"verdict": "accept", "id": "no-version"},
    {"verdict": "accept", "version": 0},  # no id
    _with(id="not an id!"),
    _with(id=7),
    {"verdict": "reject", "reason": {"nested": {"object": 1}}, "version": 0, "id": "b"},
    _with(field="plan", steps=[0, 1], value="x"),  # a verdict that also edits
    {"subtask_start": 2, "subtask": "", "version": 0, "id": "b"},
    {"subtask_start": 2, "subtask": "   ", "version": 0, "id": "b"},
    {"field": "subtask", "steps": [0, 1], "value": "", "version": 0, "id": "b"},
    {"box": {"step": 0, "track": {"x": 1}}, "action": "delete", "version": 0, "id": "b"},
    {"box": {"step": 0, "track": 1}, "action": "relabel", "label": "", "version": 0, "id": "b"},
    {
        "box": {"step": 0, "track": 1},
        "action": "relabel",
        "label": "x" * 201,
        "version": 0,
        "id": "b",
    },  # fmt: skip
    {"track": {"x": 1}, "action": "delete", "version": 0, "id": "b"},
    {"verdict": "reject", "reason": "", "version": 0, "id": "b"},
    {"verdict": "reject", "version": 0, "id": "b"},
    {"field": "plan", "steps": [0, 9999], "value": "x", "version": 0, "id": "b"},
    {"field": "plan", "steps": [0, 10**30], "value": "x", "version": 0, "id": "b"},
    {"field": "plan", "steps": [5, 1], "value": "x", "version": 0, "id": "b"},
    {"field": "plan", "steps": [0, 0], "value": "bad \ud800", "version": 0, "id": "b"},
    {"field": "plan", "steps": [0, 0], "value": "two\nlines", "version": 0, "id": "b"},
    {"field": "plan", "steps": [0, 0], "value": "nul\x00", "version": 0, "id": "b"},
    {"field": "plan", "steps": [0, 0], "value": "x" * 4001, "version": 0, "id": "b"},
    {"field": "plan", "steps": [0, 0], "value": f"leak {TOKEN}", "version": 0, "id": "b"},
    _with(reviewer=TOKEN),
    _with(reviewer=""),
    _with(reviewer={"name": "x"}),
    {"field": "colour", "steps": [0, 0], "value": "x", "version": 0, "id": "b"},
    [ACCEPT],
    "accept",
    None,
]
HOSTILE_BYTES = [
    b"",
    b"not json",
    b'{"verdict": "accept", "version": NaN, "id": "b"}',
    b'{"verdict": "accept", "version": Infinity, "id": "b"}',
    b'{"verdict": "accept", "reason": "\xff\xfe", "version": 0, "id": "b"}',
    b"[" * 30000 + b"]" * 30000,  # nested deeper than any parser's stack
    b'{"verdict": "accept", "reason": "' + b"x" * (65 * 1024) + b'", "version": 0, "id": "b"}',
    b'{"verdict": "accept", "version": 0, "id": "b", "value": "'
    + b"x" * (10 * 1024 * 1024)
    + b'"}',  # fmt: skip
]


def _post(client, body, token=TOKEN, index=0, **headers):
    headers = {"X-Review-Token": token, "Content-Type": "application/json", **headers}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(f"/api/episodes/{index}/changes", content=content, headers=headers)


def _files(out):
    return {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_every_hostile_request_is_refused_and_writes_nothing(client, run):
    before = _files(run)
    answers = []
    for body in HOSTILE_JSON + HOSTILE_BYTES:
        response = _post(client, body)
        answers.append((response.status_code, response.json().get("error", "")))
        assert 400 <= response.status_code < 500, (body if len(str(body)) < 200 else "big", response.text[:300])  # fmt: skip
        assert response.headers["content-type"] == "application/json"
        assert TOKEN not in response.text
    assert [status for status, _ in answers[-2:]] == [413, 413]
    assert answers[0][1] == "a verdict line has no field 'evil', 'token'"
    surrogate = next(i for i, b in enumerate(HOSTILE_JSON) if isinstance(b, dict) and b.get("value") == "bad \ud800")  # fmt: skip
    assert answers[surrogate] == (400, "'value' is not valid Unicode (it holds a lone surrogate)")
    for token, index in ((None, 0), ("wrong", 0), (TOKEN, 999)):
        headers = {} if token is None else {"X-Review-Token": token}
        refused = client.post(f"/api/episodes/{index}/changes", json=ACCEPT, headers=headers)
        assert refused.status_code in (403, 404)
    sneaky = client.post(f"/api/episodes/0/changes?token={TOKEN}", json=ACCEPT)  # URL, no header
    assert sneaky.status_code == 403
    lying = _post(client, b"{}", **{"Content-Length": str(10 * 1024 * 1024)})
    assert lying.status_code == 413
    assert _files(run) == before and not corrections_path(run).exists()

    saved = _post(client, ACCEPT)  # the one good change, and its retry
    again = _post(client, ACCEPT)
    assert saved.status_code == again.status_code == 200 and again.json()["repeated"]
    assert len(corrections_path(run).read_text().splitlines()) == 1
    client.get(f"/index.html?token={TOKEN}")
    client.get("/episodes/00000.html")
    for path, data in _files(run).items():
        assert TOKEN.encode() not in data, path


def test_every_response_forbids_framing_and_foreign_code(client):
    from ecot_annotate.review.server import SECURITY_HEADERS

    responses = [
        client.get("/index.html"),  # 403
        client.get(f"/index.html?token={TOKEN}"),
        client.get("/episodes/00000.html"),
        client.get("/episodes/99999.html"),  # 404
        client.get("/assets/review.js"),
        _post(client, {"verdict": "maybe", "version": 0, "id": "x"}),  # 400
        _post(client, b"x" * (70 * 1024)),  # 413
    ]
    assert [r.status_code for r in responses] == [403, 200, 200, 404, 200, 400, 413]
    for response in responses:
        assert response.headers["x-frame-options"] == "DENY"
        csp = response.headers["content-security-policy"]
        assert csp == SECURITY_HEADERS["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp
        assert "unsafe" not in csp
    page = responses[1].text + responses[2].text
    assert "<script>" not in page and " style=" not in page  # nothing inline for the CSP to block


def test_the_page_works_under_its_policy_and_blocks_injected_code(browser, run):
    from tests.support.review_browser import TOKEN as BROWSER_TOKEN
    from tests.support.review_browser import episode_url, serving

    messages: list[str] = []
    with serving(run) as base:
        page = browser.new_page()
        page.on("console", lambda m: messages.append(m.text))
        page.on("pageerror", lambda exc: messages.append(str(exc)))
        page.goto(f"{episode_url(base, 0)}?token={BROWSER_TOKEN}")
        page.wait_for_selector("#review-data", state="attached")
        columns = page.eval_on_selector("#subtask-strip", "e => getComputedStyle(e).gridTemplateColumns")  # fmt: skip
        assert len(columns.split()) == int(page.get_attribute("#slider", "max")) + 1
        assert page.eval_on_selector("#frame-box", "e => e.style.aspectRatio") != ""
        assert not messages, messages  # no policy violation, no script error
        page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', "
            '\'<img src="data:,x" onerror="window.pwned = 1">\')'
        )
        page.wait_for_timeout(300)
        assert page.evaluate("window.pwned") is None
        assert any("Content Security Policy" in m for m in messages), messages
        page.goto(f"{base}/index.html")
        page.select_option("#flag-filter", "*")  # the queue's script, now an asset, still runs
        page.close()


def test_a_busy_port_is_one_line_and_prints_no_token(run):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        command = [sys.executable, "-c", "from ecot_annotate.cli import main; main()", "review", str(run), "--port", str(port)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is in use; pick another with --port"
    ]
    assert "token" not in done.stderr
