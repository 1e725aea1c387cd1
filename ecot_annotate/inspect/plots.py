"""The report's pictures (matplotlib, written as PNG): primitive distribution and gripper-fit residuals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecot_annotate.errors import EcotError

TOP_PRIMITIVES = 15  # the rest are summed into "other" so the bars stay readable
KIND_COLOURS = {
    "move": "#3b82f6",
    "rotate": "#8b5cf6",
    "close": "#ef4444",
    "open": "#22c55e",
    "stop": "#9ca3af",
}


def _pyplot():
    try:
        import matplotlib
    except ImportError as exc:
        raise EcotError(
            "the report's plots need matplotlib: pip install 'ecot-annotate[report]'"
        ) from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def primitive_plot(steps_by_primitive: dict[str, int], path: Path) -> Path:
    """Horizontal bars, most frequent primitive on top, coloured by kind like the episode strip."""
    from ecot_annotate.inspect.quality import primitive_kind

    plt = _pyplot()
    items = sorted(steps_by_primitive.items(), key=lambda kv: -kv[1])
    shown = items[:TOP_PRIMITIVES]
    rest = sum(count for _, count in items[TOP_PRIMITIVES:])
    names = [name for name, _ in shown] + (["other"] if rest else [])
    counts = [count for _, count in shown] + ([rest] if rest else [])
    colours = [KIND_COLOURS[primitive_kind(n)] for n, _ in shown] + (["#d1d5db"] if rest else [])
    fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(names) + 1.1), dpi=110)
    ax.barh(range(len(names)), counts, color=colours)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("steps")
    ax.set_title("Motion primitives", fontsize=10)
    for i, count in enumerate(counts):
        ax.text(count, i, f" {count}", va="center", fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def residual_plot(residuals: list[float], stats: dict[str, Any], path: Path) -> Path:
    """Histogram of gripper-fit residuals with the median and 90th percentile marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.0), dpi=110)
    ax.hist(residuals, bins=min(40, max(5, len(residuals) // 5)), color="#f59e0b")
    for value, name, style in ((stats["median"], "median", "-"), (stats["p90"], "p90", "--")):
        ax.axvline(value, color="#111827", linestyle=style, linewidth=1)
        ax.text(value, ax.get_ylim()[1] * 0.95, f" {name} {value:.1f}", fontsize=7, va="top")
    ax.set_xlabel("gripper fit residual (px)")
    ax.set_ylabel("count")
    ax.set_title("Gripper fit residuals", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
