"""Serving a run's review page in a thread and waiting on it, for the browser tests."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

PAYLOAD = "<img src=x onerror=alert(1)>"
TOKEN = "browser-test-token"


@contextmanager
def serving(run):
    """The review app of `run` on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    from ecot_annotate.review.server import make_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(run, "ann", TOKEN)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def watch(page, dialogs: list[str], errors: list[str]):
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return page


def episode_url(base: str, index: int) -> str:
    return f"{base}/episodes/{index:05d}.html"


@contextmanager
def saved(page):
    """Wait for the reload that follows the change made in the block, and its notice."""
    with page.expect_navigation(timeout=15000):
        yield
    page.wait_for_selector("#notice.ok", state="visible", timeout=15000)
