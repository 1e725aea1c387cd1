"""Ten episodes reviewed from the keyboard alone in a real Chromium: the queue's j/k/Enter/n/u,
then accept (`a`, which moves on), reject (`r`, a reason, Enter), edit (`e`, text, Enter), skip
(`j`) and next unreviewed (`n`), with a slider or a select focused too; the page, the queue and
`show --episode INDEX` number the episodes alike."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ecot_annotate.store.corrections import Corrections
from tests.support.review_browser import TOKEN, saved, serving, watch

REASON = "wrong object: a jar, not the cup"  # holds the page's keys, typed into a text field


@pytest.fixture(scope="module")
def ten_episode_run(tmp_path_factory):
    """`make-sample --episodes 10`, annotated with the default (rules) settings."""
    from ecot_annotate.cli import main

    root = tmp_path_factory.mktemp("keyboard")
    made = CliRunner().invoke(main, ["make-sample", str(root / "sample"), "--episodes", "10"])
    assert made.exit_code == 0, made.output
    args = ["annotate", str(root / "sample" / "ecot_sample" / "1.0.0"), "--out", str(root / "run")]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    return root / "run"


def _at(page, index: int) -> None:
    """The page shows episode `index` of the run, by its URL and by its number."""
    assert f"/episodes/{index:05d}.html" in page.url, (page.url, index)
    assert page.inner_text("#episode-index") == str(index)


def test_ten_episodes_reviewed_from_the_keyboard_alone(browser, ten_episode_run):
    from ecot_annotate.cli import main

    run = ten_episode_run
    dialogs: list[str] = []
    errors: list[str] = []
    with serving(run) as base:
        page = watch(browser.new_page(), dialogs, errors)
        page.goto(f"{base}/?token={TOKEN}")
        rows = page.locator("#episode-table .episode-row")
        queue = [int(rows.nth(i).get_attribute("data-index")) for i in range(rows.count())]
        assert sorted(queue) == list(range(10))
        keys = {int(rows.nth(i).get_attribute("data-index")): rows.nth(i).locator(".key").inner_text() for i in range(10)}  # fmt: skip

        # the queue: a cursor moved by j / k, the unreviewed filter by u, Enter opens
        page.keyboard.press("j")
        page.keyboard.press("j")
        assert page.locator(".episode-row.cursor").get_attribute("data-index") == str(queue[2])
        page.keyboard.press("k")
        page.keyboard.press("k")
        page.keyboard.press("u")
        assert page.input_value("#status-filter") == "unreviewed"
        assert page.inner_text("#shown-count") == "10 shown"
        page.keyboard.press("Enter")
        page.wait_for_selector("#review-data", state="attached")
        _at(page, queue[0])

        # q0: accept; the page asks once for a name
        page.keyboard.press("a")
        page.wait_for_selector("#reviewer-form:not([hidden])")
        page.keyboard.press("Control+a")
        page.keyboard.type("kim")
        with saved(page):
            page.keyboard.press("Enter")
        _at(page, queue[1])

        # q1: reject, with a reason that holds the page's keys
        page.keyboard.press("r")
        page.keyboard.type(REASON)
        with saved(page):
            page.keyboard.press("Enter")
        _at(page, queue[2])

        # q2: edit the move reason of step 2, then go to the next unreviewed
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        field = page.input_value("#edit-field")
        page.keyboard.press("e")
        page.keyboard.type("Moves as checked by keyboard.")
        with saved(page):
            page.keyboard.press("Enter")
        _at(page, queue[2])
        assert page.inner_text("#step-label").startswith("step 2 /")
        assert "Moves as checked by keyboard." in page.inner_text("#chain")
        assert page.inner_text("#review-status") == "corrected"
        with page.expect_navigation():
            page.keyboard.press("n")
        _at(page, queue[3])

        # q3: accept with the step slider focused (it must not swallow the key)
        page.focus("#slider")
        with saved(page):
            page.keyboard.press("a")
        _at(page, queue[4])

        # q4: skipped
        with page.expect_navigation():
            page.keyboard.press("j")
        _at(page, queue[5])

        # q5: accept with the field select focused
        page.focus("#edit-field")
        with saved(page):
            page.keyboard.press("a")
        _at(page, queue[6])

        # q6: reject
        page.keyboard.press("r")
        page.keyboard.type("subtasks miss the grasp")
        with saved(page):
            page.keyboard.press("Enter")
        _at(page, queue[7])

        # q7: edit, leave the text field with Esc, accept
        page.keyboard.press("e")
        page.keyboard.type("Checked by keyboard.")
        with saved(page):
            page.keyboard.press("Enter")
        page.keyboard.press("e")
        page.keyboard.press("Escape")
        with saved(page):
            page.keyboard.press("a")
        _at(page, queue[8])

        # q8, q9: accept; after the last the queue comes back
        with saved(page):
            page.keyboard.press("a")
        _at(page, queue[9])
        with page.expect_navigation():
            page.keyboard.press("a")
        page.wait_for_selector("#episode-table")
        assert "9</b> of 10 reviewed" in page.inner_html("#progress")

        # the queue's n opens the one left unreviewed; accept it
        with page.expect_navigation():
            page.keyboard.press("n")
        _at(page, queue[4])
        with saved(page):
            page.keyboard.press("a")
        _at(page, queue[5])
        with page.expect_navigation():
            page.keyboard.press("q")
        progress = page.inner_text("#progress")
        assert "10 of 10 reviewed" in progress and "6 accepted" in progress
        assert "2 corrected" in progress and "2 rejected" in progress
        assert page.inner_text("#reviewer-shown") == "kim"
        assert not dialogs and not errors, (dialogs, errors)

    corrections = Corrections.load(run)
    statuses = {index: corrections.review(keys[index]).status for index in queue}
    assert [statuses[i] for i in queue] == ["accepted", "rejected", "corrected", "accepted", "accepted", "accepted", "rejected", "corrected", "accepted", "accepted"]  # fmt: skip
    lines = [line for review in corrections.episodes.values() for line in review.lines]
    assert {line.reviewer for line in lines} == {"kim"} and all(line.id for line in lines)
    edited = corrections.review(keys[queue[2]]).edits[0].change
    assert (edited.field, edited.steps.first, edited.steps.last) == (field, 2, 2)
    assert corrections.review(keys[queue[1]]).verdict.reason == REASON

    # one numbering: `show --episode INDEX` is the page's episode INDEX, rejections or not
    for index in (queue[0], queue[2], max(queue)):
        shown = CliRunner().invoke(main, ["show", str(run), "--episode", str(index), "--format", "json"])  # fmt: skip
        if statuses[index] == "rejected":
            assert shown.exit_code == 2 and keys[index] in shown.output
        else:
            assert shown.exit_code == 0, shown.output
            assert json.loads(shown.output)["episode"] == keys[index]
    rejected = CliRunner().invoke(main, ["show", str(run), "--episode", str(queue[1])])
    assert (
        rejected.exit_code == 2 and f"'{keys[queue[1]]}' was rejected in review" in rejected.output
    )
