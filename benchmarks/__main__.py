"""`make bench`: run every benchmark module, then write their one table (see results.py).

Named modules (`python -m benchmarks report train`) run alone and only print their rows: a partial
run never replaces bench-results/latest.md.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import benchmarks
from benchmarks.results import Row, console, machine, markdown, publish
from ecot_annotate import quiet


def main(names: list[str]) -> None:
    quiet.configure()
    found = sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    chosen = [n for n in found if not names or any(x in n for x in names)]
    print(f"machine: {machine()}")
    rows: list[Row] = []
    start = time.perf_counter()
    for name in chosen:
        print(f"\n== {name}")
        began = time.perf_counter()
        returned = importlib.import_module(f"benchmarks.{name}").main()
        for row in returned:
            print(console(row))
        print(f"   ({time.perf_counter() - began:.1f}s)")
        rows += returned
    minutes = (time.perf_counter() - start) / 60
    if chosen == found:
        print(f"\n{publish(rows, minutes)}\nwritten: bench-results/latest.md and README.md")
    else:
        table = markdown(rows, minutes, command="python -m benchmarks " + " ".join(names))
        print(f"\n{table}\n(a partial run: bench-results/latest.md left as it was)")


if __name__ == "__main__":
    main(sys.argv[1:])
