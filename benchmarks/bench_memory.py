"""Peak memory of a whole run over the sample and over ten times as many episodes: it must not grow.

Each run is a fresh `ecot-annotate annotate` process started by a small wrapper process that
reports its child's peak resident memory (getrusage of children), so the figures are per run and
include Beam, TensorFlow and every worker thread. Shards scale with the episodes, as in a real
dataset, so per-shard work stays the same and only the count grows.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.results import Row

EPISODES = 6
SCALE = 10
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
)


def peak_rss_mb(input_dir: Path, out: Path, formats: str) -> tuple[float, float]:
    """(peak resident MB, seconds) of one annotate run in its own process."""
    command = "from ecot_annotate.cli import main; main()"
    cli = [sys.executable, "-c", command, "annotate", str(input_dir), "--out", str(out)]
    cli += ["--format", formats]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cli], capture_output=True, text=True, check=True
    )
    kilobytes, code = (int(x) for x in done.stdout.split())
    if code != 0:
        raise RuntimeError(f"annotate exited with {code} on {input_dir}")
    return kilobytes / 1024, time.perf_counter() - start


def main() -> list[Row]:
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
    main()
