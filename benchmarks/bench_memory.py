"""Peak memory of a whole run: it must grow neither with the number of episodes nor with their length.

Each run is a fresh `ecot-annotate annotate` process started by a small wrapper process that
reports its child's peak resident memory (getrusage of children), so the figures are per run and
include Beam, TensorFlow and every worker thread. Shards scale with the episodes, as in a real
dataset, so per-shard work stays the same and only the count grows. Long episodes (DROID-length,
2000 steps at 256x256, all four formats) are built by repeating the sample's steps, so only their
length differs from the 50-step baseline.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.results import Row, console

EPISODES = 6
SCALE = 10
LONG_EPISODES = 3
SHORT_STEPS, LONG_STEPS = 50, 2000
ALL_FORMATS = "parquet,ecot-json,rlds,lerobot"
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
)


def peak_rss_mb(
    input_dir: Path, out: Path, formats: str, options: list[str] | None = None
) -> tuple[float, float]:
    """(peak resident MB, seconds) of one annotate run in its own process (`options`: more of
    the CLI's)."""
    command = "from ecot_annotate.cli import main; main()"
    cli = [sys.executable, "-c", command, "annotate", str(input_dir), "--out", str(out)]
    cli += ["--format", formats, *(options or [])]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cli], capture_output=True, text=True, check=True
    )
    kilobytes, code = (int(x) for x in done.stdout.split())
    if code != 0:
        raise RuntimeError(f"annotate exited with {code} on {input_dir}")
    return kilobytes / 1024, time.perf_counter() - start


def write_stretched(sample: Path, out_dir: Path, steps: int) -> Path:
    """A copy of a generated sample whose every episode is `steps` long (its steps repeated in a cycle)."""
    import tensorflow_datasets as tfds

    from ecot_annotate.sources.rlds import RldsDataset, read_shard
    from ecot_annotate.sources.tfds_features import image_decoders
    from ecot_annotate.sources.tfrecord_file import write_record

    dataset = RldsDataset.open(str(sample))
    features = dataset.features()
    root = out_dir / dataset.name / "1.0.0"
    root.mkdir(parents=True, exist_ok=True)
    for shard in dataset.shards:
        with open(root / shard.path.rsplit("/", 1)[-1], "wb") as handle:
            for _, raw, _ in read_shard(shard):
                example = features.deserialize_example_np(raw, decoders=image_decoders(features))
                source = list(example["steps"])
                stretched = [dict(source[t % len(source)]) for t in range(steps)]
                for t, step in enumerate(stretched):
                    step["is_first"], step["is_last"] = t == 0, t == steps - 1
                    step["is_terminal"] = t == steps - 1
                example["steps"] = stretched
                write_record(handle, features.serialize_example(example))
    tfds.folder_dataset.write_metadata(
        data_dir=str(root), features=features, split_infos=None, check_data=False
    )
    return root


def episode_length(formats_list: tuple[str, ...] = (ALL_FORMATS,)) -> list[Row]:
    """Peak MB of runs over 2000-step episodes against 50-step ones, per format set."""
    from ecot_annotate.sample.generate import write_sample

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        sample = write_sample(base / "sample", episodes=LONG_EPISODES, seed=0, shards=1)
        inputs = {
            n: write_stretched(sample, base / f"steps-{n}", n) for n in (SHORT_STEPS, LONG_STEPS)
        }
        for formats in formats_list:
            peaks = {}
            for n, folder in inputs.items():
                peaks[n], seconds = peak_rss_mb(folder, base / f"out-{n}-{formats}", formats)
                print(
                    f"     {LONG_EPISODES} episodes x {n:>4} steps, {formats}: peak {peaks[n]:7.1f} MB  ({seconds:5.1f}s)"
                )
            ratio = peaks[LONG_STEPS] / peaks[SHORT_STEPS]
            rows.append(
                Row(
                    f"peak memory of a run, {LONG_EPISODES} episodes at 256x256, formats {formats}",
                    f"{SHORT_STEPS} steps each {peaks[SHORT_STEPS]:.0f} MB",
                    f"{LONG_STEPS} steps each {peaks[LONG_STEPS]:.0f} MB",
                    f"{ratio:.2f}x for {LONG_STEPS // SHORT_STEPS}x the steps (target <= 1.5x)",
                )
            )
    return rows


def main() -> list[Row]:
    return episode_count() + episode_length()


def episode_count() -> list[Row]:
    """Peak MB for 6, 60 and 180 episodes of the sample."""
    from ecot_annotate.sample.generate import write_sample

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sizes = (EPISODES, EPISODES * SCALE, EPISODES * SCALE * 3)
        inputs = {
            n: write_sample(root / f"in-{n}", episodes=n, seed=0, shards=max(2, n // 3))
            for n in sizes
        }
        for formats in ("parquet,ecot-json", "parquet,ecot-json,lerobot"):
            print(f"   formats {formats}")
            peaks = {}
            for n in sizes:
                peaks[n], seconds = peak_rss_mb(inputs[n], root / f"out-{n}-{formats}", formats)
                ratio = (
                    "(baseline)"
                    if n == EPISODES
                    else f"ratio {peaks[n] / peaks[EPISODES]:.2f}x for {n // EPISODES}x the episodes"
                )
                print(f"     {n:>3} episodes: peak {peaks[n]:7.1f} MB  ({seconds:5.1f}s)  {ratio}")
            big, mid = sizes[2], sizes[1]
            print(
                f"     streaming check: {big} vs {mid} episodes {peaks[big] / peaks[mid]:.2f}x (buffers are full by {mid})"
            )
            base = peaks[EPISODES]
            rows.append(
                Row(
                    f"peak memory of a run, formats {formats}",
                    f"{EPISODES} episodes {base:.0f} MB",
                    f"{mid} episodes {peaks[mid]:.0f} MB; {big} episodes {peaks[big]:.0f} MB",
                    f"{peaks[mid] / base:.2f}x for {mid // EPISODES}x the episodes; "
                    f"{peaks[big] / base:.2f}x for {big // EPISODES}x",
                )
            )
    return rows


if __name__ == "__main__":
    for row in episode_length(tuple(sys.argv[1:]) or (ALL_FORMATS,)):
        print(console(row))
