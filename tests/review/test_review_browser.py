"""The review page in a real headless Chromium (Debian's `chromium`, driven by Playwright): a
person works through the queue of a generated sample's run, and every other command then reads
what they did."""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest
from click.testing import CliRunner

from ecot_annotate.store.corrections import corrections_path, read_lines
from tests.inspect.test_report_browser import FLAGS, screenshot

PAYLOAD = "<img src=x onerror=alert(1)>"
TOKEN = "browser-test-token"


@pytest.fixture(scope="module")
def context():
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed: `apt-get install -y chromium`")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing")
    profile = tempfile.mkdtemp(prefix="ecot-chromium-")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 1000},
        )
        yield browser
        browser.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def sample_run_dir(tmp_path_factory):
    """`make-sample --episodes 4`, then `annotate` with the default (rules) settings."""
    from ecot_annotate.cli import main

    root = tmp_path_factory.mktemp("review")
    made = CliRunner().invoke(main, ["make-sample", str(root / "sample"), "--episodes", "4"])
    assert made.exit_code == 0, made.output
    args = ["annotate", str(root / "sample" / "ecot_sample" / "1.0.0"), "--out", str(root / "run")]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    return root / "run", args


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


@pytest.fixture(scope="module")
def server(sample_run_dir):
    with serving(sample_run_dir[0]) as base:
        yield base


def _watch(page, dialogs: list[str], errors: list[str]):
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return page


def _episode_url(base: str, index: int) -> str:
    return f"{base}/episodes/{index:05d}.html"


@contextmanager
def saved(page):
    """Wait for the reload that follows the change made in the block, and its notice."""
    with page.expect_navigation(timeout=15000):
        yield
    page.wait_for_selector("#notice.ok", state="visible", timeout=15000)


def test_a_person_reviews_the_queue_and_every_command_reads_it(context, server, sample_run_dir):
    from ecot_annotate.cli import main

    run, annotate_args = sample_run_dir
    dialogs: list[str] = []
    errors: list[str] = []
    page = _watch(context.new_page(), dialogs, errors)

    # 1. the queue, filtered to flagged episodes
    page.goto(f"{server}/?token={TOKEN}")
    rows = page.locator("#episode-table .episode-row")
    assert rows.count() == 4
    flagged = sum(1 for i in range(4) if rows.nth(i).get_attribute("data-flags"))
    page.select_option("#flag-filter", "*")
    assert page.locator("#episode-table .episode-row:visible").count() == flagged > 0
    page.select_option("#flag-filter", "chain from rules")
    assert page.locator("#episode-table .episode-row:visible").count() == 4
    assert "0</b> of 4 reviewed" in page.inner_html("#progress")
    links = [rows.nth(i).locator(".episode-link").get_attribute("href") for i in range(4)]
    indices = [int(href.split("/")[-1].split(".")[0]) for href in links]

    # 2a. accept the first in the queue with `a`
    page.locator(".episode-link").first.click()
    page.wait_for_selector("#review-data", state="attached")
    with saved(page):
        page.keyboard.press("a")
    assert page.locator("#review-status").inner_text() == "accepted"

    # arrows step through the episode; j goes to the next episode in the queue
    page.keyboard.press("ArrowRight")
    assert page.locator("#step-label").inner_text().startswith("step 1 /")
    assert page.input_value("#edit-first") == "1"
    page.keyboard.press("j")
    page.wait_for_url(f"**/episodes/{indices[1]:05d}.html")

    # 2b. reject the second, with a reason that must stay text
    page.keyboard.press("r")
    page.keyboard.type(PAYLOAD)
    with saved(page):
        page.keyboard.press("Enter")
    assert page.locator("#review-status").inner_text() == "rejected"
    assert PAYLOAD in page.locator(".review-head").inner_text()

    # 2c. in the third, drag a subtask boundary two steps later and edit a move reason
    third = indices[2]
    page.goto(_episode_url(server, third))
    segment = page.locator("#subtask-strip .cell").nth(1)
    segment.scroll_into_view_if_needed()
    start = int(segment.get_attribute("data-step"))
    n_steps = int(page.get_attribute("#slider", "max")) + 1
    handle = segment.locator(".boundary").bounding_box()
    strip = page.locator("#subtask-strip").bounding_box()
    target = strip["x"] + strip["width"] * (start + 2) / n_steps
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(target, handle["y"] + handle["height"] / 2, steps=8)
    with saved(page):
        page.mouse.up()
    assert int(page.locator("#subtask-strip .cell").nth(1).get_attribute("data-step")) == start + 2
    page.select_option("#edit-field", "move_reason")
    page.fill("#edit-first", "0")
    page.fill("#edit-last", "3")
    page.fill("#edit-value", f"Checked by hand {PAYLOAD}")
    with saved(page):
        page.click("#edit-save")

    # 3. reload: the edits are still there
    page.reload()
    assert page.locator("#review-status").inner_text() == "corrected"
    assert int(page.locator("#subtask-strip .cell").nth(1).get_attribute("data-step")) == start + 2
    assert f"Checked by hand {PAYLOAD}" in page.locator("#chain").inner_text()
    screenshot(page, "review_episode.png")
    page.goto(f"{server}/index.html")
    progress = page.locator("#progress").inner_text()
    assert "3 of 4 reviewed" in progress and "1 accepted" in progress
    assert "1 corrected" in progress and "1 rejected" in progress
    screenshot(page, "review_queue.png")

    # two tabs edit the same field from the same version: the second is told, both lines kept
    fourth = _episode_url(server, indices[3])
    tabs = [_watch(context.new_page(), dialogs, errors) for _ in range(2)]
    for tab in tabs:
        tab.goto(fourth)
        tab.select_option("#edit-field", "move_reason")
        tab.fill("#edit-first", "5")
        tab.fill("#edit-last", "5")
    tabs[0].fill("#edit-value", "first tab")
    with saved(tabs[0]):
        tabs[0].click("#edit-save")
    tabs[1].fill("#edit-value", "second tab")
    tabs[1].click("#edit-save")
    tabs[1].wait_for_selector("#notice:not(.ok)", state="visible")
    assert "Conflict: ann changed this" in tabs[1].locator("#notice").inner_text()
    lines = read_lines(corrections_path(run))
    values = [line.get("value") for line in lines if line.get("field") == "move_reason"]
    assert values[-2:] == ["first tab", "second tab"] and "conflict" in lines[-1]
    tabs[0].keyboard.press("End")
    tabs[0].evaluate("document.getElementById('slider').value = 5")
    tabs[0].dispatch_event("#slider", "input")
    assert "first tab" in tabs[0].locator("#chain").inner_text()
    assert not dialogs and not errors, (dialogs, errors)

    # 403 without the token
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{server}/index.html")
    assert refused.value.code == 403

    # export holds the edits and leaves the rejected episode out
    keys = sorted(line["episode"] for line in lines if line.get("verdict") == "reject")
    exported = run.parent / "as.json"
    result = CliRunner().invoke(main, ["export", str(run), "--to", "ecot-json", str(exported)])
    assert result.exit_code == 0, result.output
    entries = {
        f"{fp}_{eid}": e
        for fp, eps in json.loads(exported.read_text()).items()
        for eid, e in eps.items()  # fmt: skip
    }
    assert len(entries) == 3 and keys[0] not in entries
    edited = next(line["episode"] for line in lines if "subtask_start" in line)
    reasoning = entries[edited]["reasoning"]
    assert reasoning["0"]["move_reason"] == f"Checked by hand {PAYLOAD}"
    moved = next(line["subtask"] for line in lines if "subtask_start" in line)
    assert reasoning[str(start + 1)]["subtask"] != moved and reasoning[str(start + 2)]["subtask"] == moved  # fmt: skip

    # score reads the review as labels
    scored = CliRunner().invoke(main, ["score", str(run), "--labels", str(run / "review"), "--json"])  # fmt: skip
    assert scored.exit_code == 0, scored.output
    figures = json.loads(scored.output)
    assert figures["episodes"] == 3 and figures["review"]["rejected"] == 1
    assert figures["boundaries"]["f1"] < 1.0  # the moved boundary is a miss of the machine

    # a rerun of annotate leaves the corrections byte-identical
    before = corrections_path(run).read_bytes()
    again = CliRunner().invoke(main, annotate_args)
    assert again.exit_code == 0, again.output
    assert corrections_path(run).read_bytes() == before


def with_boxes(run, folder):
    """A copy of `run` whose every step has two tracked boxes and a gripper point, committed in
    its manifest and written into its Parquet steps alike (as perception would)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from ecot_annotate.episode import Box
    from ecot_annotate.store.manifest import Manifest
    from ecot_annotate.store.run_output import episode_keys, with_annotation

    shutil.copytree(run, folder, ignore=shutil.ignore_patterns("review"))  # no one reviewed it yet
    manifest = Manifest(str(folder))
    annotations = {}
    for key in episode_keys(folder):
        annotation = manifest.load(key)
        n = len(annotation.primitives)
        annotation.bboxes = [
            [
                Box(PAYLOAD, 0.81, (20.0, 40.0, 120.0, 140.0), 3),
                Box("bowl", 0.55, (130.0, 120.0, 220.0, 200.0), 1),
            ]  # fmt: skip
            for _ in range(n)
        ]
        annotation.gripper = np.array([[60.0 + 2 * t, 50.0 + t] for t in range(n)])
        manifest.commit(key, annotation)
        annotations[key] = annotation
    for path in (folder / "parquet").glob("*.parquet"):
        table = pq.read_table(path)
        parts = []
        for key in sorted(set(table.column("episode_key").to_pylist())):
            rows = table.filter(pc.equal(table["episode_key"], key)).sort_by("step")
            parts.append(with_annotation(rows, key, annotations[key]))
        pq.write_table(pa.concat_tables(parts), path)
    return folder


def test_boxes_are_deleted_and_relabelled_from_the_page(context, sample_run_dir, tmp_path):
    from ecot_annotate.store.run_output import episode_table

    run = with_boxes(sample_run_dir[0], tmp_path / "run")
    dialogs: list[str] = []
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept("plate")))
    with serving(run) as base:
        page.goto(f"{_episode_url(base, 0)}?token={TOKEN}")
        assert page.locator("#overlay rect.box").count() == 2
        assert page.locator("#overlay circle.gripper-now").count() == 1
        items = page.locator("#box-list .box-item")
        assert items.nth(0).inner_text().startswith(f"{PAYLOAD} #3")  # text, not markup
        page.keyboard.press("ArrowRight")
        with saved(page):  # the page comes back at the same step, where one box is left
            items.nth(0).locator("button", has_text="delete").click()
        assert page.locator("#step-label").inner_text().startswith("step 1 /")
        with saved(page):
            page.locator("#box-list .box-item").nth(0).locator("button", has_text="relabel").click()
    assert dialogs == ["New label for bowl #1"] and not errors, (dialogs, errors)
    lines = read_lines(corrections_path(run))
    assert [(line["box"], line["action"], line.get("label")) for line in lines] == [
        ({"step": 1, "track": 3}, "delete", None),
        ({"step": 1, "track": 1}, "relabel", "plate"),
    ]
    key = lines[0]["episode"]
    boxes = episode_table(run, key, ["step", "bboxes"]).column("bboxes").to_pylist()
    assert [b["label"] for b in boxes[1]] == ["plate"]
    assert [b["label"] for b in boxes[0]] == [PAYLOAD, "bowl"]
