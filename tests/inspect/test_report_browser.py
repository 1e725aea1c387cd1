"""The HTML report opened in a real headless Chromium (Debian's `chromium`), driven over the
DevTools protocol by Playwright, which never downloads a browser of its own here."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ecot_annotate.inspect.report import build_report
from tests.support.datasets import REPO
from tests.support.run_builders import with_perception

ARTIFACTS = REPO / "test-artifacts"
PAYLOAD = "<img src=x onerror=alert(1)>"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip(
            "Debian's chromium is not installed: `apt-get install -y chromium` (`make test` installs it when it can)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is missing: pip install -e '.[test]'"
    )
    profile = tempfile.mkdtemp(prefix="ecot-chromium-")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@dataclass
class Watched:
    """What a page did that it should not: console errors, script errors, dialogs, network requests."""

    page: object
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)

    def clean(self) -> bool:
        return not (self.errors or self.dialogs or self.remote)


def open_page(browser, path: Path) -> Watched:
    page = browser.new_page()
    watched = Watched(page)
    page.on("console", lambda msg: watched.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    page.on("dialog", lambda dialog: (watched.dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "request",
        lambda req: (
            None if req.url.startswith(("file:", "data:")) else watched.remote.append(req.url)
        ),
    )
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return watched


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_bridge_report_in_chromium(browser, bridge_run, tmp_path):
    html = tmp_path / "html"
    build_report(bridge_run, html)
    index = open_page(browser, html / "index.html")
    assert index.page.locator("#episode-table .episode-row").count() == 25
    assert index.page.locator(".episode-link").first.inner_text().strip()
    screenshot(index.page, "report_index.png")
    index.page.locator(".episode-link").nth(5).click()
    index.page.wait_for_load_state("load")
    page = index.page
    assert "episodes/00005.html" in page.url
    assert page.evaluate("document.getElementById('frame').naturalWidth") == 64
    assert page.evaluate("document.getElementById('frame').src").startswith(
        "data:image/jpeg;base64,"
    )
    tags = page.locator("#chain dt").all_inner_texts()
    assert tags[:2] == ["TASK:", "PLAN:"] and "MOVE:" in tags
    assert page.locator("#step-label").inner_text() == "step 0 / 9"
    before = (
        page.evaluate("document.getElementById('frame').src"),
        page.locator("#chain").inner_text(),
    )
    page.keyboard.press("ArrowRight")
    assert page.locator("#step-label").inner_text() == "step 1 / 9"
    assert page.locator("#chain-step").inner_text() == "1"
    assert page.locator("#primitive-strip .cell.current").get_attribute("data-step") == "1"
    assert (
        page.evaluate("document.getElementById('frame').src"),
        page.locator("#chain").inner_text(),
    ) != before
    page.keyboard.press("End")
    assert page.locator("#step-label").inner_text() == "step 9 / 9"
    page.keyboard.press("ArrowLeft")
    assert page.locator("#step-label").inner_text() == "step 8 / 9"
    assert page.locator("#overlay rect.box").count() == 0  # no detector ran
    assert "no detector ran" in page.locator("#perception-note").inner_text()
    screenshot(page, "report_episode.png")
    assert index.clean(), (index.errors, index.dialogs, index.remote)


def test_boxes_and_gripper_are_drawn_when_perception_ran(browser, bridge_run, tmp_path):
    run = with_perception(bridge_run, tmp_path / "run")
    build_report(run, tmp_path / "html")
    watched = open_page(browser, tmp_path / "html" / "episodes" / "00003.html")
    page = watched.page
    page.keyboard.press("ArrowRight")
    assert page.locator("#overlay rect.box").count() == 2
    assert page.locator("#labels .box-tag").all_inner_texts() == [
        "sink #1 0.55",
        "pot <b>lid</b> #3 0.81",
    ]
    colours = page.locator("#overlay rect.box").evaluate_all("els => els.map(e => e.classList[1])")
    assert colours == ["box-1", "box-3"]  # each track's colour, whatever the boxes' order
    assert page.locator("#overlay circle.gripper-now").count() == 1
    assert page.locator("#overlay circle.gripper-next").count() == 4
    assert (
        page.evaluate("document.querySelector('#overlay circle.gripper-now').getAttribute('cx')")
        == "21.2"
    )  # 0.3*64 + 2*step 1
    assert (
        "VISIBLE OBJECTS:" not in page.locator("#chain").inner_text()
    )  # the chain is the run's; boxes came later
    page.keyboard.press("ArrowRight")
    colours = page.locator("#overlay rect.box").evaluate_all("els => els.map(e => e.classList[1])")
    assert colours == ["box-3", "box-1"]
    screenshot(page, "report_episode_perception.png")
    assert watched.clean(), (watched.errors, watched.dialogs, watched.remote)


def test_instruction_injection_renders_as_text(browser, make_episodes, tmp_path):
    from ecot_annotate.config import AnnotateConfig
    from pipelines.run import run
    from tests.support.datasets import write_rlds

    episodes = make_episodes(2)
    for step in episodes[0]["steps"]:
        step["language_instruction"] = PAYLOAD
    root = write_rlds(tmp_path / "data", episodes)
    out = tmp_path / "run"
    run(AnnotateConfig(input=str(root), out=str(out), profile="ecot_sample"))
    build_report(out, tmp_path / "html")
    index = open_page(browser, tmp_path / "html" / "index.html")
    links = index.page.locator(".episode-link").all_inner_texts()
    assert PAYLOAD in [text.strip() for text in links]
    index.page.locator(".episode-link", has_text="onerror").click()
    index.page.wait_for_load_state("load")
    page = index.page
    assert page.locator("#instruction").inner_text() == PAYLOAD
    assert PAYLOAD in page.locator("#chain").inner_text()  # TASK: restates it, as text
    page.keyboard.press("ArrowRight")
    assert page.locator("img[src='x']").count() == 0
    screenshot(page, "report_injection.png")
    assert index.dialogs == [] and index.clean(), (index.errors, index.dialogs, index.remote)
