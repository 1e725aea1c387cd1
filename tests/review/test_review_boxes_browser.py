"""Boxes fixed from the review page in Chromium, on a run whose manifest and Parquet steps both
carry tracked boxes and a gripper track: one step's box deleted, relabelled or resized by dragging
its corner, a whole track relabelled or deleted in one change."""

from __future__ import annotations

from ecot_annotate.store.corrections import corrections_path, read_lines
from tests.support.review_browser import PAYLOAD, TOKEN, episode_url, saved, serving
from tests.support.tracked_boxes import with_tracked_boxes


def _button(page, item: int, name: str):
    return page.locator("#box-list .box-item").nth(item).get_by_role("button", name=name, exact=True)  # fmt: skip


def test_boxes_and_tracks_are_fixed_from_the_page(browser, sample_run_dir, tmp_path):
    from ecot_annotate.store.run_output import episode_table

    run = with_tracked_boxes(sample_run_dir[0], tmp_path / "run", PAYLOAD)
    dialogs: list[str] = []
    answers = iter(["plate", "mug"])
    errors: list[str] = []
    page = browser.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept(next(answers))))
    with serving(run) as base:
        page.goto(f"{episode_url(base, 0)}?token={TOKEN}")
        page.evaluate("localStorage.setItem('ecot-review-reviewer', 'bo')")
        assert page.locator("#overlay rect.box").count() == 2
        assert page.locator("#overlay circle.corner").count() == 8
        assert page.locator("#overlay circle.gripper-now").count() == 1
        items = page.locator("#box-list .box-item")
        assert items.nth(0).inner_text().startswith(f"{PAYLOAD} #3")  # text, not markup
        page.keyboard.press("ArrowRight")
        with saved(page):  # the page comes back at the same step, where one box is left
            _button(page, 0, "delete").click()
        assert page.locator("#step-label").inner_text().startswith("step 1 /")
        with saved(page):
            _button(page, 0, "relabel").click()

        # step 2: drag the lower right corner of box #3 from (120, 140) to about (160, 180)
        page.keyboard.press("ArrowRight")
        corner = page.locator("#overlay circle.corner.se").first.bounding_box()
        frame = page.locator("#frame").bounding_box()
        scale = frame["width"] / int(page.get_attribute("#frame", "width"))
        x, y = corner["x"] + corner["width"] / 2, corner["y"] + corner["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 40 * scale, y + 40 * scale, steps=6)
        with saved(page):
            page.mouse.up()
        assert page.locator("#step-label").inner_text().startswith("step 2 /")

        with saved(page):  # every step's box of track 3 is a mug
            _button(page, 0, "relabel track").click()
        with saved(page):  # and track 1 goes everywhere
            _button(page, 1, "delete track").click()
    assert dialogs == ["New label for bowl #1", f"New label for {PAYLOAD} #3 at every step"]
    assert not errors, errors
    lines = [line.to_json() for line in read_lines(corrections_path(run))]
    assert [line.get("box") for line in lines] == [{"step": 1, "track": 3}, {"step": 1, "track": 1}, {"step": 2, "track": 3}, None, None]  # fmt: skip
    assert [line.get("track") for line in lines[3:]] == [3, 1]
    assert [(line["action"], line.get("label")) for line in lines] == [
        ("delete", None),
        ("relabel", "plate"),
        ("resize", None),
        ("relabel", "mug"),
        ("delete", None),
    ]
    x0, y0, x1, y1 = lines[2]["xyxy"]
    assert (x0, y0) == (20.0, 40.0) and abs(x1 - 160) < 3 and abs(y1 - 180) < 3, lines[2]
    assert {line["reviewer"] for line in lines} == {"bo"}
    key = lines[0]["episode"]
    boxes = episode_table(run, key, ["step", "bboxes"]).column("bboxes").to_pylist()
    assert [[b["label"] for b in step] for step in boxes[:3]] == [["mug"], [], ["mug"]]
    assert boxes[2][0]["box"] == [x0, y0, x1, y1]
    assert all([b["label"] for b in step] == ["mug"] for step in boxes[3:])
