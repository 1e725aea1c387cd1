"""Quality figures and the HTML report on a run of a few thousand steps.

`stats` streams only the columns it needs (no image bytes); the baseline reads the whole run into
Python rows. The report writes every episode page in one streaming pass; the baseline looks each
episode up with the per-episode reader `show` uses (one filtered scan per episode).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.results import Row

COPIES = 20  # the annotated run is replicated under new keys to this many times its size


def scaled_run(folder: Path) -> tuple[Path, int, int]:
    """An annotated run of the benchmark input, copied COPIES times under new episode keys."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from benchmarks.data import bench_dataset
    from ecot_annotate.config import AnnotateConfig
    from pipelines.run import run

    source, _ = bench_dataset()
    base = folder / "base"
    run(AnnotateConfig(input=str(source), out=str(base), formats=("parquet",)))
    table = pq.read_table(base / "parquet")
    out = folder / "run"
    (out / "parquet").mkdir(parents=True)
    shutil.copy(base / "summary.json", out / "summary.json")
    index = table.schema.get_field_index("episode_key")
    for copy in range(COPIES):
        keys = pc.binary_join_element_wise(
            table.column("episode_key"), pa.scalar(f"{copy:03d}"), "#"
        )
        pq.write_table(
            table.set_column(index, "episode_key", keys),
            out / "parquet" / f"steps-{copy:03d}.parquet",
        )
    episodes = len(set(table.column("episode_key").to_pylist())) * COPIES
    return out, episodes, table.num_rows * COPIES


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def read_everything(out: Path) -> int:
    from ecot_annotate.store.run_output import open_steps

    return len(open_steps(out).to_table().to_pylist())


def pages_by_lookup(out: Path, limit: int) -> int:
    from ecot_annotate.inspect.episode_view import episode_view
    from ecot_annotate.store.run_output import episode_keys, episode_table

    for index, key in enumerate(episode_keys(out)[:limit]):
        episode_view(episode_table(out, key).to_pylist(), index)
    return limit


def main() -> list[Row]:
    from ecot_annotate.inspect.quality import run_stats
    from ecot_annotate.inspect.report import build_report

    folder = Path(tempfile.mkdtemp(prefix="ecot-bench-report-"))
    try:
        out, episodes, steps = scaled_run(folder)
        base = timed(read_everything, out)
        ours = timed(run_stats, out)
        sample = min(episodes, 100)
        lookup = timed(pages_by_lookup, out, sample)
        report = timed(build_report, out, folder / "html")
        print(f"   `report` baseline: per-episode lookups of {sample} episodes")
        return [
            Row(
                f"`stats` over {steps} steps",
                f"reading every row {steps / base / 1000:.1f}k steps/s",
                f"{steps / ours / 1000:.1f}k steps/s",
                f"{base / ours:.1f}x",
            ),
            Row(
                f"`report` over {episodes} episodes",
                f"per-episode lookups {sample / lookup:.1f} episodes/s",
                f"one pass {episodes / report:.0f} episodes/s",
                f"{(episodes / report) / (sample / lookup):.1f}x",
            ),
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
