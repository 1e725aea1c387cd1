"""One table of every benchmark's figures: bench-results/latest.md, copied into README.md.

Each benchmark returns `Row`s (what was measured, its baseline in the same run, the figure, the
ratio); `make bench` writes them with the machine and the date to bench-results/latest.md and
replaces README.md's performance block with that file's text, so the README quotes exactly what
the last full run measured.
"""

from __future__ import annotations

import datetime
import os
import platform
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LATEST = REPO / "bench-results" / "latest.md"
README = REPO / "README.md"
BEGIN = "<!-- begin bench-results/latest.md: written by `make bench`, do not edit -->"
END = "<!-- end bench-results/latest.md -->"


@dataclass(frozen=True)
class Row:
    benchmark: str
    baseline: str
    measured: str
    ratio: str = ""


def console(row: Row) -> str:
    """A row as the runner prints it when its benchmark returns: one format for every benchmark."""
    lines = [
        f"   {row.benchmark}",
        f"     baseline: {row.baseline}",
        f"     measured: {row.measured}",
    ]
    if row.ratio:
        lines.append(f"     ratio:    {row.ratio}")
    return "\n".join(lines)


def _gpu() -> str:
    try:
        import torch
    except ImportError:
        return "no GPU on this machine"
    if not torch.cuda.is_available():
        return "no GPU on this machine"
    return f"GPU {torch.cuda.get_device_name(0)}"


def _memory_gib() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return None


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def machine() -> str:
    memory = _memory_gib()
    parts = [platform.machine(), f"{cores()} CPU cores"]
    if memory:
        parts.append(f"{memory:.0f} GiB memory")
    parts += [_gpu(), f"Python {platform.python_version()}"]
    return ", ".join(parts)


def markdown(
    rows: list[Row],
    minutes: float,
    when: datetime.date | None = None,
    command: str = "make bench",
) -> str:
    """The file's text: how, where and when it was measured, then the table."""
    when = when or datetime.date.today()
    lines = [
        f"Measured by `{command}` on {when.isoformat()} in {minutes:.1f} min: {machine()}. "
        "Every ratio compares two figures measured in the same run.",
        "",
        "| benchmark | baseline | measured | ratio |",
        "|---|---|---|---|",
    ]
    for row in rows:
        cells = (row.benchmark, row.baseline, row.measured, row.ratio)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _block_bounds(readme: str) -> tuple[int, int]:
    """Where the block lies: just after BEGIN, and at END. A README without both markers in order
    is an error rather than a README to write into."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no performance block ({BEGIN} ... {END})")
    return start + len(BEGIN), end


def readme_with(readme: str, table: str) -> str:
    """README text with the block between the markers replaced by `table`."""
    start, end = _block_bounds(readme)
    return readme[:start] + "\n" + table + readme[end:]


def readme_block(readme: str) -> str:
    """The text between the markers, as `readme_with` put it there (after BEGIN's own line)."""
    start, end = _block_bounds(readme)
    return readme[start + 1 : end]


def publish(rows: list[Row], minutes: float) -> str:
    """Write bench-results/latest.md and README.md's block; return the table."""
    table = markdown(rows, minutes)
    LATEST.parent.mkdir(exist_ok=True)
    LATEST.write_text(table)
    README.write_text(readme_with(README.read_text(), table))
    return table
