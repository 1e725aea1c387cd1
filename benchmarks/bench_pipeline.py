"""Steps/s of the whole offline pipeline against a bare TFDS read + decode of the same data."""

from __future__ import annotations

import tempfile
import time

from benchmarks.data import bench_dataset
from benchmarks.rates import record
from benchmarks.results import Row


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


def measure(path, label: str, keep: bool = False) -> Row:
    """Print the rates on one input; `keep` records the in-process rate for `--dry-run`."""
    print(f"   input: {label}")
    base = best_rate(tfds_read, path)
    print(
        f"   bare tfds read+decode                               : {base:8.1f} steps/s (baseline)"
    )
    runners = (
        ("in-process DirectRunner", ()),
        (
            "DirectRunner multi_processing x2",
            ("--direct_running_mode=multi_processing", "--direct_num_workers=2"),
        ),
    )
    rates = []
    for name, args in runners:
        rate = best_rate(pipeline, path, args, repeats=2)
        rates.append(rate)
        print(
            f"   offline pipeline, {name:<33}: {rate:8.1f} steps/s  ratio {rate / base:.2f}x of bare read"
        )
    if keep:
        record(
            offline_steps_per_s=round(rates[0], 1),
            offline_measured=f"in-process DirectRunner, {label}",
        )
    return Row(
        f"offline pipeline (rules), {label}",
        f"bare `tfds` read+decode {base:.0f} steps/s",
        f"in-process {rates[0]:.0f} steps/s; multi_processing x2 {rates[1]:.0f} steps/s",
        f"{rates[0] / base:.2f}x; {rates[1] / base:.2f}x",
    )


def main() -> list[Row]:
    rows = [measure(*bench_dataset(), keep=True)]
    with tempfile.TemporaryDirectory() as folder:
        from ecot_annotate.sample.generate import write_sample

        rows.append(
            measure(
                write_sample(folder, episodes=40, seed=1, shards=4),
                "generated sample (40 episodes, ~2000 steps, 256x256)",
            )
        )
    return rows


if __name__ == "__main__":
    main()
