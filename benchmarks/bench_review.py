"""The review server with 100,000 correction lines against the same server with 100.

The server reads its corrections file once, then only what was appended, and applies an episode's
new lines on top of what it applied before (review/layer.py), so a save and the page that follows
it should cost the same whatever the file's length. Both runs serve the same generated sample
through Starlette's test client (the real app, no socket); the lines are spread over its episodes
(at 100,000 that is 10,000 lines on the episode reviewed). Each round saves one edit on the
version the page showed, then loads that episode's page, on both servers in turn; the medians of
ROUNDS rounds are compared.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.results import Row

SMALL, LARGE = 100, 100_000
EPISODES = 10
ROUNDS = 25
TOKEN = "bench-review-token"


def annotated_sample(folder: Path) -> Path:
    """The generated sample of EPISODES episodes, annotated with the default (rules) settings."""
    from ecot_annotate.config import AnnotateConfig
    from ecot_annotate.sample.generate import write_sample
    from pipelines.run import run

    source = write_sample(folder / "sample", episodes=EPISODES, seed=0)
    out = folder / "run"
    run(AnnotateConfig(input=str(source), out=str(out), profile="ecot_sample"))
    return out


def write_corrections(run: Path, n_lines: int) -> None:
    """`n_lines` field edits over a few steps each, spread over the run's episodes in turn."""
    from ecot_annotate.store.corrections import corrections_path, run_config_hash
    from ecot_annotate.store.run_output import episode_keys

    keys, config_hash = episode_keys(run, corrected=False), run_config_hash(run)
    rng = random.Random(0)
    path = corrections_path(run)
    path.parent.mkdir(exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(n_lines):
            first = rng.randrange(0, 30)
            line = {
                "time": "2026-01-01T00:00:00+00:00",
                "reviewer": "bench",
                "episode": keys[n % len(keys)],
                "config_hash": config_hash,
                "id": f"line-{n}",
                "field": rng.choice(("move_reason", "subtask_reason", "plan")),
                "steps": [first, first + rng.randrange(0, 4)],
                "value": f"Checked by hand, line {n}.",
            }
            handle.write(json.dumps(line) + "\n")


class Reviewer:
    """One review server over a copy of the run with `n_lines` correction lines, driven as the
    page drives it: save an edit on the version shown, then load the page again."""

    def __init__(self, run: Path, folder: Path, n_lines: int):
        from starlette.testclient import TestClient

        from ecot_annotate.review.server import make_app

        self.run = folder / f"run-{n_lines}"
        shutil.copytree(run, self.run)
        write_corrections(self.run, n_lines)
        start = time.perf_counter()
        self.client = TestClient(make_app(self.run, "bench", TOKEN))
        self.startup = time.perf_counter() - start
        page = self.client.get(f"/episodes/00000.html?token={TOKEN}")  # applies its lines once
        assert page.status_code == 200, page.text[:200]
        self.version = int(page.text.split('id="review-version">')[1].split("<")[0])
        self.saves: list[float] = []
        self.pages: list[float] = []

    def round(self, n: int) -> None:
        change = {"field": "move_reason", "steps": [0, 1], "value": f"Round {n}.", "version": self.version, "id": f"round-{n}"}  # fmt: skip
        began = time.perf_counter()
        answer = self.client.post("/api/episodes/0/changes", json=change, headers={"X-Review-Token": TOKEN})  # fmt: skip
        self.saves.append(time.perf_counter() - began)
        assert answer.status_code == 200 and answer.json()["conflict"] is None, answer.text
        self.version = answer.json()["version"]
        began = time.perf_counter()
        shown = self.client.get("/episodes/00000.html")
        self.pages.append(time.perf_counter() - began)
        assert f"Round {n}." in shown.text


def main() -> list[Row]:
    folder = Path(tempfile.mkdtemp(prefix="ecot-bench-review-"))
    try:
        run = annotated_sample(folder)
        small, large = Reviewer(run, folder, SMALL), Reviewer(run, folder, LARGE)
        for n in range(ROUNDS + 1):  # alternating, so both see the same machine; round 0 warms up
            for reviewer in (small, large):
                reviewer.round(n)
        print(f"   server start: {small.startup:.2f} s at {SMALL} lines, {large.startup:.2f} s at {LARGE:,} lines")  # fmt: skip
        rows = []
        for what, a, b in (("save", small.saves, large.saves), ("page", small.pages, large.pages)):
            base, ours = statistics.median(a[1:]), statistics.median(b[1:])
            rows.append(
                Row(
                    f"review {what} with {LARGE:,} correction lines",
                    f"{SMALL} lines: {base * 1000:.1f} ms",
                    f"{ours * 1000:.1f} ms",
                    f"{ours / base:.2f}x",
                )
            )
        return rows
    finally:
        shutil.rmtree(folder, ignore_errors=True)
