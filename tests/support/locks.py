"""Another live process that holds an output folder's run lock, for as long as a block runs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def lock_held_elsewhere(out: Path) -> Iterator[subprocess.Popen]:
    """Yield the holder once it holds the lock; it is killed (its lock left stale) afterwards."""
    code = (
        "import time; from ecot_annotate.store.run_lock import run_lock\n"
        f"with run_lock({str(out)!r}):\n    print('held', flush=True); time.sleep(120)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()
