"""Run every benchmark module (or those named on the command line) and print their figures."""

from __future__ import annotations

import importlib
import pkgutil
import platform
import sys
import time

import benchmarks


def main(names: list[str]) -> None:
    found = sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    chosen = [n for n in found if not names or any(x in n for x in names)]
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}, cores: {_cores()}"
    )
    for name in chosen:
        print(f"\n== {name}")
        start = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").main()
        print(f"   ({time.perf_counter() - start:.1f}s)")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main(sys.argv[1:])
