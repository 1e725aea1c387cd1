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

EPISODES = 6
SCALE = 10
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
)


def peak_rss_mb(input_dir: Path, out: Path, formats: str) -> tuple[float, float]:
    """(peak resident MB, seconds) of one annotate run in its own process."""
    cli = [
        sys.executable,
        "-c",
        "from ecot_annotate.cli import main; main()",
        "annotate",
        str(input_dir),
        "--out",
        str(out),
        "--format",
        formats,
    ]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cli], capture_output=True, text=True, check=True
    )
    kilobytes, code = (int(x) for x in done.stdout.split())
    if code != 0:
        raise RuntimeError(f"annotate exited with {code} on {input_dir}")
    return kilobytes / 1024, time.perf_counter() - start


def main() -> None:
    from ecot_annotate.sample import write_sample

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        small = write_sample(root / "small", episodes=EPISODES, seed=0, shards=2)
        large = write_sample(root / "large", episodes=EPISODES * SCALE, seed=0, shards=2 * SCALE)
        for formats in ("parquet,ecot-json", "parquet,ecot-json,lerobot"):
            base, base_s = peak_rss_mb(small, root / f"out-small-{formats}", formats)
            grown, grown_s = peak_rss_mb(large, root / f"out-large-{formats}", formats)
            print(f"   formats {formats}")
            print(f"     {EPISODES:>3} episodes: peak {base:7.1f} MB  ({base_s:5.1f}s)  (baseline)")
            print(
                f"     {EPISODES * SCALE:>3} episodes: peak {grown:7.1f} MB  ({grown_s:5.1f}s)  ratio {grown / base:.2f}x for {SCALE}x the episodes"
            )


if __name__ == "__main__":
    main()
