"""Boxes deleted and relabelled from the review page in Chromium, on a run whose manifest and
Parquet steps both carry boxes and a gripper track."""

from __future__ import annotations

import shutil

from ecot_annotate.store.corrections import corrections_path, read_lines
from tests.support.review_browser import PAYLOAD, TOKEN, episode_url, saved, serving


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
        n = len(annotation.moves)
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


def test_boxes_are_deleted_and_relabelled_from_the_page(browser, sample_run_dir, tmp_path):
    from ecot_annotate.store.run_output import episode_table

    run = with_boxes(sample_run_dir[0], tmp_path / "run")
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
    lines = read_lines(corrections_path(run))
    assert [(line["box"], line["action"], line.get("label")) for line in lines] == [
        ({"step": 1, "track": 3}, "delete", None),
        ({"step": 1, "track": 1}, "relabel", "plate"),
    ]
    key = lines[0]["episode"]
    boxes = episode_table(run, key, ["step", "bboxes"]).column("bboxes").to_pylist()
    assert [b["label"] for b in boxes[1]] == ["plate"]
    assert [b["label"] for b in boxes[0]] == [PAYLOAD, "bowl"]
