"""Rates measured by `make bench`, kept in bench-results/rates.json for `annotate --dry-run`.

Each benchmark records what it measured; a later benchmark run replaces the figures it measures
and keeps the others. The file names the machine and the time of the measurement.
"""

from __future__ import annotations

import json
import platform
from datetime import datetime, timezone


def record(**rates: float | str) -> None:
    from ecot_annotate.estimate import rates_path, read_rates

    path = rates_path()
    data = read_rates(path)
    data.update(rates)
    data["machine"] = f"{platform.node()} ({platform.machine()}, {platform.processor() or 'cpu'})"
    data["measured_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
