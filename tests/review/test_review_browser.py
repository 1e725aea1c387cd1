"""The review page in a real headless Chromium (Debian's `chromium`, driven by Playwright): a
person works through the queue of a generated sample's run, and every other command then reads
what they did."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from ecot_annotate.store.corrections import corrections_path, read_lines
from tests.inspect.test_report_browser import screenshot
from tests.support.review_browser import PAYLOAD, TOKEN, episode_url, saved, serving, watch


@pytest.fixture(scope="module")
def server(sample_run_dir):
    with serving(sample_run_dir[0]) as base:
        yield base


def test_a_person_reviews_the_queue_and_every_command_reads_it(browser, server, sample_run_dir):
    from ecot_annotate.cli import main

    run, annotate_args = sample_run_dir
    dialogs: list[str] = []
    errors: list[str] = []
    page = watch(browser.new_page(), dialogs, errors)

    # 1. the queue, filtered to flagged episodes
    page.goto(f"{server}/?token={TOKEN}")
    rows = page.locator("#episode-table .episode-row")
    assert rows.count() == 4
    flagged = sum(1 for i in range(4) if rows.nth(i).get_attribute("data-flags"))
    page.select_option("#flag-filter", "*")
    assert page.locator("#episode-table .episode-row:visible").count() == flagged == 1
    page.select_option("#flag-filter", "text failing a check")  # the planted wrong direction
    assert page.locator("#episode-table .episode-row:visible").count() == 1
    assert "0</b> of 4 reviewed" in page.inner_html("#progress")
    links = [rows.nth(i).locator(".episode-link").get_attribute("href") for i in range(4)]
    indices = [int(href.split("/")[-1].split(".")[0]) for href in links]

    # 2a. accept the first in the queue with `a`: the page asks once for the reviewer's name,
    # then saves and moves on to the next episode of the queue
    page.locator(".episode-link").first.click()
    page.wait_for_selector("#review-data", state="attached")
    page.keyboard.press("a")
    page.wait_for_selector("#reviewer-form:not([hidden])")
    page.keyboard.press("Control+a")
    page.keyboard.type("ann")
    with saved(page):
        page.keyboard.press("Enter")
    assert f"/episodes/{indices[1]:05d}.html" in page.url
    assert page.locator("#reviewer-shown").inner_text() == "ann"

    # arrows step through the episode, also with the slider focused
    page.focus("#slider")
    page.keyboard.press("ArrowRight")
    assert page.locator("#step-label").inner_text().startswith("step 1 /")
    assert page.input_value("#edit-first") == "1"

    # 2b. reject the second, with a reason that must stay text; the page moves on
    page.keyboard.press("r")
    page.keyboard.type(PAYLOAD)
    with saved(page):
        page.keyboard.press("Enter")
    assert f"/episodes/{indices[2]:05d}.html" in page.url
    page.goto(episode_url(server, indices[1]))
    assert page.locator("#review-status").inner_text() == "rejected"
    assert PAYLOAD in page.locator(".review-head").inner_text()
    page.goto(episode_url(server, indices[0]))
    assert page.locator("#review-status").inner_text() == "accepted"

    # 2c. in the third, drag a subtask boundary two steps later and edit a move reason
    third = indices[2]
    page.goto(episode_url(server, third))
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
    fourth = episode_url(server, indices[3])
    tabs = [watch(browser.new_page(), dialogs, errors) for _ in range(2)]
    for tab in tabs:
        tab.goto(fourth)
        tab.select_option("#edit-field", "move_reason")
        tab.fill("#edit-first", "5")
        tab.fill("#edit-last", "5")
    tabs[0].fill("#edit-value", "first tab")
    with saved(tabs[0]):
        tabs[0].click("#edit-save")
    tabs[1].evaluate("localStorage.setItem('ecot-review-reviewer', 'bo')")  # another person
    tabs[1].fill("#edit-value", "second tab")
    tabs[1].click("#edit-save")
    tabs[1].wait_for_selector("#notice:not(.ok)", state="visible")
    assert "Conflict: ann changed this" in tabs[1].locator("#notice").inner_text()
    lines = [line.to_json() for line in read_lines(corrections_path(run))]
    values = [line.get("value") for line in lines if line.get("field") == "move_reason"]
    assert values[-2:] == ["first tab", "second tab"] and "conflict" in lines[-1]
    assert [line["reviewer"] for line in lines[-2:]] == ["ann", "bo"]
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
    scored = CliRunner().invoke(main, ["score", str(run), "--labels", str(run / "review"), "--tolerance-s", "0.2", "--json"])  # fmt: skip
    assert scored.exit_code == 0, scored.output
    figures = json.loads(scored.output)
    assert figures["episodes"] == 3 and figures["review"]["rejected"] == 1
    assert figures["boundaries"]["f1"] < 1.0  # moved 0.4 s (2 steps at 5 Hz): a miss at +-0.2 s

    # a rerun of annotate leaves the corrections byte-identical
    before = corrections_path(run).read_bytes()
    again = CliRunner().invoke(main, annotate_args)
    assert again.exit_code == 0, again.output
    assert corrections_path(run).read_bytes() == before
