"""Steps/s of the whole offline pipeline against a bare TFDS read + decode of the same data."""

from __future__ import annotations

import tempfile
import time
from typing import NamedTuple

from benchmarks.data import bench_dataset
from benchmarks.rates import record
from benchmarks.results import Row

MULTI_PROCESSING = ("--direct_running_mode=multi_processing", "--direct_num_workers=2")


class Rates(NamedTuple):
    """Steps/s on one input: the bare read (the baseline) and the pipeline on two runners."""

    bare: float
    in_process: float
    multi_processing: float

    def row(self, label: str) -> Row:
        return Row(
            f"offline pipeline (rules), {label}",
            f"bare `tfds` read+decode {self.bare:.0f} steps/s",
            f"in-process {self.in_process:.0f} steps/s; "
            f"multi_processing x2 {self.multi_processing:.0f} steps/s",
            f"{self.in_process / self.bare:.2f}x; {self.multi_processing / self.bare:.2f}x",
        )


def tfds_read(path) -> int:
    import tensorflow_datasets as tfds

    steps = 0
    for episode in tfds.as_numpy(tfds.builder_from_directory(str(path)).as_dataset(split="train")):
        for step in episode["steps"]:
            steps += int(step["observation"]["image_0"].shape[0] > 0)
    return steps


def pipeline(path, runner_args: tuple[str, ...]) -> int:
    from ecot_annotate.config import AnnotateConfig
    from pipelines.run import run

    with tempfile.TemporaryDirectory() as out:
        return run(AnnotateConfig(input=str(path), out=out, beam_args=runner_args))["steps_out"]


def best_rate(fn, *args, repeats: int = 3) -> float:
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        steps = fn(*args)
        rates.append(steps / (time.perf_counter() - start))
    return max(rates)


def measure(path) -> Rates:
    return Rates(
        best_rate(tfds_read, path),
        best_rate(pipeline, path, (), repeats=2),
        best_rate(pipeline, path, MULTI_PROCESSING, repeats=2),
    )


def main() -> list[Row]:
    """Both inputs; the benchmark input's in-process rate is what `--dry-run` estimates with."""
    path, label = bench_dataset()
    rates = measure(path)
    record(
        offline_steps_per_s=round(rates.in_process, 1),
        offline_measured=f"in-process DirectRunner, {label}",
    )
    rows = [rates.row(label)]
    with tempfile.TemporaryDirectory() as folder:
        from ecot_annotate.sample.generate import write_sample

        sample = write_sample(folder, episodes=40, seed=1, shards=4)
        rows.append(measure(sample).row("generated sample (40 episodes, ~2000 steps, 256x256)"))
    return rows
