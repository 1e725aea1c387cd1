"""`report OUT --html DIR`: a static HTML report of a run, browsable from disk with no server.

DIR/index.html lists the episodes with their instruction and quality flags above the run's
quality figures and plots; DIR/episodes/NNNNN.html shows one episode: the frame of the selected
step with boxes and the gripper now and next drawn over it, the chain of that step, and strips of
the subtasks and primitives. Frames are embedded as data: URIs, so a page needs nothing but the
assets/ folder next to it.

Every string from the data goes through Jinja's autoescaping (HTML) or its `tojson` filter
(JSON inside <script>, with <, >, & and ' written as \\u003c ...); the page script only ever
sets `textContent`, never HTML.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.dataset as pads

from ecot_annotate import __version__
from ecot_annotate.inspect.episode_view import episode_view, page_images, thumbnail_uri
from ecot_annotate.inspect.plots import primitive_plot, residual_plot
from ecot_annotate.inspect.quality import (
    EpisodeQuality,
    episode_quality,
    quality_rows,
    read_summary,
    run_stats,
    summary_event_lead,
)
from ecot_annotate.store.run_output import open_steps, parquet_dir

TEMPLATES = Path(__file__).resolve().parent / "templates"
ASSETS = ("report.css", "episode.js", "index.js")
PAGE_COLUMNS = (
    "episode_key",
    "step",
    "n_steps",
    "instruction",
    "image",
    "image_video",
    "image_time",
    "image_width",
    "image_height",
    "primitive",
    "move",
    "subtask",
    "chain",
    "caption",
    "bboxes",
    "gripper_position",
    "gripper_reason",
    "reasoning_source",
    "reasoning_model",
    "fallback_reason",
    "detector",
)


def environment():
    """The templates' Jinja environment: HTML autoescaping on, undefined names an error."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    layout = {"trim_blocks": True, "lstrip_blocks": True}
    loader = FileSystemLoader(TEMPLATES)
    return Environment(loader=loader, autoescape=True, undefined=StrictUndefined, **layout)


def page_name(index: int) -> str:
    return f"episodes/{index:05d}.html"


def _episode_rows(out: str | Path, keys: set[str]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Each chosen episode's rows, in one pass over the Parquet; only unfinished episodes stay in memory."""
    dataset = open_steps(out)
    columns = [c for c in PAGE_COLUMNS if c in dataset.schema.names]
    pending: dict[str, list[dict[str, Any]]] = {}
    for batch in dataset.to_batches(
        columns=columns, filter=pads.field("episode_key").isin(sorted(keys))
    ):
        for row in batch.to_pylist():
            rows = pending.setdefault(row["episode_key"], [])
            rows.append(row)
            if len(rows) == row["n_steps"]:
                yield row["episode_key"], pending.pop(row["episode_key"])
    yield from pending.items()  # episodes whose row count disagrees with n_steps still get a page


def _plots(stats: dict[str, Any], episodes: list[EpisodeQuality], folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    plots = {
        "primitives": primitive_plot(
            stats["primitives"]["steps_by_primitive"], folder / "primitives.png"
        )
    }
    residuals = [r for e in episodes for r in e.fit_residuals()]
    if residuals:
        plots["residuals"] = residual_plot(
            residuals, stats["gripper"]["residual_px"], folder / "residuals.png"
        )
    return {name: f"plots/{path.name}" for name, path in plots.items()}


def build_report(
    out: str | Path, html_dir: str | Path, limit: int | None = None, progress: bool = False
) -> Path:
    """Write the report for run `out` into `html_dir`; return the index page's path."""
    html_dir = Path(html_dir)
    parquet_dir(
        out, needed_for="report"
    )  # the pages draw frames: fail before any work without them
    episodes, residual_name = episode_quality(out)
    stats = run_stats(out, episodes, residual_name)
    perception = stats["boxes"]["detector_ran"] or stats["gripper"]["tracked_episodes"] > 0
    chosen = episodes if limit is None else episodes[:limit]
    index_of = {e.key: i for i, e in enumerate(chosen)}
    (html_dir / "episodes").mkdir(parents=True, exist_ok=True)
    (html_dir / "assets").mkdir(exist_ok=True)
    for asset in ASSETS:
        shutil.copyfile(TEMPLATES / asset, html_dir / "assets" / asset)
    plots = _plots(stats, episodes, html_dir / "plots")
    env = environment()
    page = env.get_template("episode.html")
    thumbs: dict[str, str] = {}
    lead = summary_event_lead(read_summary(out))
    rows_iter = _episode_rows(out, set(index_of))
    if progress:
        from tqdm import tqdm

        rows_iter = tqdm(rows_iter, total=len(chosen), unit="episode", desc="report", leave=False)
    for key, rows in rows_iter:
        index = index_of[key]
        view = episode_view(rows, index, lead)
        view["flags"] = chosen[index].flags(perception)
        thumbs[key] = thumbnail_uri(page_images([min(rows, key=lambda r: r["step"])])[0])
        links = {
            "prev": Path(page_name(index - 1)).name if index > 0 else None,
            "next": Path(page_name(index + 1)).name if index + 1 < len(chosen) else None,
        }
        html = page.render(episode=view, links=links, total=len(chosen), version=__version__)
        (html_dir / page_name(index)).write_text(html, encoding="utf-8")
    rows = [
        {
            "index": i,
            "page": page_name(i) if e.key in thumbs else None,
            "thumb": thumbs.get(e.key),
            "quality": e,
            "flags": e.flags(perception),
            "kinds": e.step_kinds(),
        }
        for i, e in enumerate(chosen)
    ]
    index_html = env.get_template("index.html").render(
        stats=stats,
        quality=quality_rows(stats),
        summary=read_summary(out),
        plots=plots,
        episodes=rows,
        total_episodes=len(episodes),
        version=__version__,
    )
    index_path = html_dir / "index.html"
    index_path.write_text(index_html, encoding="utf-8")
    return index_path
