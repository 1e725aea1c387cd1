"""The statistics lerobot keeps of a dataset, computed as lerobot 0.6.1 computes them.

lerobot normalises with them (`meta/stats.json`) and its editing tools rebuild `stats.json` from
the per-episode copies in `meta/episodes`, so both must be there and agree with what lerobot would
have written for the same frames (lerobot/datasets/compute_stats.py):

- per episode, each numeric feature: min, max, mean, std, count, and q01..q99 read off a 5000-bin
  histogram spanning the episode's own min..max (not exact order statistics);
- per episode, each camera: the same per channel over sampled frames (about n**0.75 of n, at
  least 100), frames of 300 px or more thinned to about 150 px, scaled to [0, 1], shape (3, 1, 1),
  `count` the number of frames sampled;
- the dataset's: the episodes' joined, weighted by count; its quantiles are the count-weighted mean
  of the episodes' quantiles, as lerobot joins them, not quantiles of all rows.

The lerobot package needs Python >= 3.12, so the steps that decide a value are ported here
unchanged, dtypes included; `make lerobot-check` compares them with lerobot's own on our output.
One departure: a camera's pixels are counted per value (a uint8 channel takes 256), so memory holds
one frame where lerobot holds every sampled pixel as float32, and its mean and std are exact where
lerobot's float32 running sum over a million pixels drifts (52 frames of 256x256: mean off by 0.011,
std by 0.043, on the 0..1 scale). Min, max, count and the quantiles are lerobot's to the bit.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)
QUANTILE_KEYS = tuple(f"q{int(q * 100):02d}" for q in QUANTILES)  # q01 q10 q50 q90 q99
STAT_KEYS = ("min", "max", "mean", "std", "count", *QUANTILE_KEYS)
BINS = 5000
NO_STATS_DTYPES = {"string", "language"}  # lerobot keeps no statistics of text
Stats = dict[str, np.ndarray]


def has_stats(feature: dict) -> bool:
    """Whether lerobot keeps statistics of this info.json feature."""
    return feature.get("dtype") not in NO_STATS_DTYPES


def sample_indices(n: int) -> list[int]:
    """The frames of an n-frame episode lerobot samples for camera statistics."""
    low = min(100, n)
    count = max(low, min(int(n**0.75), 10_000))
    return np.round(np.linspace(0, n - 1, count)).astype(int).tolist()


def _thin(frame: np.ndarray) -> np.ndarray:
    """An (H, W, 3) frame as lerobot samples it: every k-th pixel when a side is 300 px or more."""
    height, width = frame.shape[:2]
    if max(width, height) < 300:
        return frame
    step = int(width / 150) if width > height else int(height / 150)
    return frame[::step, ::step]


def _quantile(hist: np.ndarray, edges: np.ndarray, target: float) -> float:
    cumsum = np.cumsum(hist)
    idx = np.searchsorted(cumsum, target)
    if idx == 0:
        return edges[0]
    if idx >= len(cumsum):
        return edges[-1]
    before = cumsum[idx - 1]
    inside = cumsum[idx] - before
    if inside == 0:
        return edges[idx]
    return edges[idx] + (target - before) / inside * (edges[idx + 1] - edges[idx])


def _histogram_stats(
    values: list[np.ndarray], weights: list[np.ndarray | None], mins, maxs, count: int
) -> dict[str, np.ndarray]:
    """Quantiles of each dimension from lerobot's histogram between that dimension's min and max."""
    hists, edges = [], []
    for i, (dim, weight) in enumerate(zip(values, weights, strict=True)):
        edge = np.linspace(mins[i] - 1e-10, maxs[i] + 1e-10, BINS + 1)
        hists.append(np.zeros(BINS) + np.histogram(dim, bins=edge, weights=weight)[0])
        edges.append(edge)
    return {
        key: np.array([_quantile(h, e, q * count) for h, e in zip(hists, edges, strict=True)])
        for key, q in zip(QUANTILE_KEYS, QUANTILES, strict=True)
    }


def vector_stats(values: np.ndarray) -> Stats:
    """One episode's statistics of a numeric feature: (n,) values give (1,) entries, (n, d) give (d,)."""
    batch = values.reshape(-1, 1) if values.ndim == 1 else values.reshape(len(values), -1)
    if len(batch) < 2:  # lerobot's few-sample path: quantiles are the mean
        mean = np.mean(batch, axis=0)
        stats = {"min": np.min(batch, axis=0), "max": np.max(batch, axis=0), "mean": mean}
        stats |= {"std": np.std(batch, axis=0), **{k: mean.copy() for k in QUANTILE_KEYS}}
        return stats | {"count": np.array([len(values)])}
    batch = batch.astype(np.result_type(batch.dtype, np.float32), copy=False)
    mins, maxs = np.min(batch, axis=0), np.max(batch, axis=0)
    mean, mean_sq = np.mean(batch, axis=0), np.mean(batch**2, axis=0)
    dims = [batch[:, i] for i in range(batch.shape[1])]
    return {
        "min": mins,
        "max": maxs,
        "mean": mean,
        "std": np.sqrt(np.maximum(0, mean_sq - mean**2)),
        "count": np.array([len(values)]),
        **_histogram_stats(dims, [None] * len(dims), mins, maxs, len(batch)),
    }


def image_stats(frames: Iterable[np.ndarray]) -> Stats:
    """One episode's statistics of a camera from its sampled (H, W, 3) uint8 frames, per channel,
    scaled to [0, 1], each entry of shape (3, 1, 1)."""
    counts, sampled = np.zeros((3, 256), np.int64), 0
    for frame in frames:
        thin = _thin(frame)
        for c in range(3):
            counts[c] += np.bincount(thin[..., c].ravel(), minlength=256)
        sampled += 1
    pixels = int(counts[0].sum())
    levels = np.arange(256, dtype=np.float32)  # lerobot's float32 copy of the uint8 pixels
    mins = np.array([levels[row > 0][0] for row in counts], np.float32)
    maxs = np.array([levels[row > 0][-1] for row in counts], np.float32)
    mean = ((counts * levels.astype(np.float64)).sum(1) / pixels).astype(np.float32)
    mean_sq = ((counts * levels.astype(np.float64) ** 2).sum(1) / pixels).astype(np.float32)
    stats = {
        "min": mins,
        "max": maxs,
        "mean": mean,
        "std": np.sqrt(np.maximum(0, mean_sq - mean**2)),
        **_histogram_stats([levels] * 3, list(counts), mins, maxs, pixels),
    }
    return {k: v.reshape(3, 1, 1) / 255.0 for k, v in stats.items()} | {
        "count": np.array([sampled])
    }


def _join(stats: list[Stats]) -> Stats:
    """lerobot's aggregate_feature_stats: one feature's statistics over several episodes."""
    means = np.stack([s["mean"] for s in stats])
    variances = np.stack([s["std"] ** 2 for s in stats])
    counts = np.stack([s["count"] for s in stats])
    total = counts.sum(axis=0)
    while counts.ndim < means.ndim:
        counts = np.expand_dims(counts, axis=-1)
    mean = (means * counts).sum(axis=0) / total
    variance = ((variances + (means - mean) ** 2) * counts).sum(axis=0) / total
    joined = {
        "min": np.min(np.stack([s["min"] for s in stats]), axis=0),
        "max": np.max(np.stack([s["max"] for s in stats]), axis=0),
        "mean": mean,
        "std": np.sqrt(variance),
        "count": total,
    }
    for key in (k for k in stats[0] if k.startswith("q") and k[1:].isdigit()):
        if all(key in s for s in stats):
            joined[key] = (np.stack([s[key] for s in stats]) * counts).sum(axis=0) / total
    return joined


def aggregate(stats: list[dict[str, Stats]]) -> dict[str, Stats]:
    """lerobot's aggregate_stats: every feature any of `stats` has, joined over those that have it."""
    features = dict.fromkeys(key for s in stats for key in s)
    return {key: _join([s[key] for s in stats if key in s]) for key in features}


def to_json(stats: dict[str, Stats]) -> dict[str, dict[str, list]]:
    return {key: {k: np.asarray(v).tolist() for k, v in s.items()} for key, s in stats.items()}


def from_json(stats: dict[str, dict[str, list]]) -> dict[str, Stats]:
    return {
        key: {k: np.atleast_1d(np.asarray(v)) for k, v in s.items()} for key, s in stats.items()
    }
