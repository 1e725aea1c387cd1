"""Boxes deleted and relabelled from the review page in Chromium, on a run whose manifest and
Parquet steps both carry boxes and a gripper track."""

from __future__ import annotations

from ecot_annotate.store.corrections import corrections_path, read_lines
from tests.support.review_browser import PAYLOAD, TOKEN, episode_url, saved, serving
from tests.support.tracked_boxes import with_tracked_boxes


def test_boxes_are_deleted_and_relabelled_from_the_page(browser, sample_run_dir, tmp_path):
    from ecot_annotate.store.run_output import episode_table

    run = with_tracked_boxes(sample_run_dir[0], tmp_path / "run", PAYLOAD)
    dialogs: list[str] = []
    errors: list[str] = []
    page = browser.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept("plate")))
    with serving(run) as base:
        page.goto(f"{episode_url(base, 0)}?token={TOKEN}")
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
    lines = [line.to_json() for line in read_lines(corrections_path(run))]
    assert [(line["box"], line["action"], line.get("label")) for line in lines] == [
        ({"step": 1, "track": 3}, "delete", None),
        ({"step": 1, "track": 1}, "relabel", "plate"),
    ]
    key = lines[0]["episode"]
    boxes = episode_table(run, key, ["step", "bboxes"]).column("bboxes").to_pylist()
    assert [b["label"] for b in boxes[1]] == ["plate"]
    assert [b["label"] for b in boxes[0]] == [PAYLOAD, "bowl"]
