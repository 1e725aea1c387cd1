"""Read back a finished run's Parquet output (for `show`, `stats`, `report`, `export`, `train`)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads

from ecot_annotate.errors import InputError


def parquet_dir(run_or_parquet: str | Path) -> Path:
    """Accept a run folder or its parquet/ folder."""
    path = Path(run_or_parquet)
    candidate = path / "parquet" if (path / "parquet").is_dir() else path
    if not any(candidate.glob("*.parquet")):
        raise InputError(
            f"{path} holds no annotation output (no parquet/*.parquet); run `ecot-annotate annotate` first"
        )
    return candidate


def open_steps(run_or_parquet: str | Path) -> pads.Dataset:
    return pads.dataset(str(parquet_dir(run_or_parquet)), format="parquet")


def episode_keys(run_or_parquet: str | Path) -> list[str]:
    """Episode keys in sorted order (the order `--episode INDEX` counts in)."""
    table = open_steps(run_or_parquet).to_table(columns=["episode_key"])
    return sorted(set(table.column("episode_key").to_pylist()))


def resolve_episode(run_or_parquet: str | Path, episode: str) -> str:
    keys = episode_keys(run_or_parquet)
    if episode in keys:
        return episode
    if episode.lstrip("-").isdigit():
        index = int(episode)
        if -len(keys) <= index < len(keys):
            return keys[index]
        raise InputError(f"episode index {index} is out of range: the run has {len(keys)} episodes")
    raise InputError(
        f"no episode '{episode}' in the run ({len(keys)} episodes; pass a key or an index)"
    )


def episode_table(
    run_or_parquet: str | Path, key: str, columns: list[str] | None = None
) -> pa.Table:
    dataset = open_steps(run_or_parquet)
    table = dataset.to_table(columns=columns, filter=pads.field("episode_key") == key)
    return table.sort_by("step")
