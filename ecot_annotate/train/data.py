"""Stream training rows from our Parquet shards with pyarrow (no TensorFlow), and split episodes.

Rows come in record batches of only the columns the trainer needs; a shuffle buffer mixes them,
and the stream repeats for as many steps as asked, so a dataset never has to fit in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.dataset as pads

from ecot_annotate.errors import InputError
from ecot_annotate.store.frames import frame_columns
from ecot_annotate.store.run_output import open_steps

REQUIRED = ("episode_key", "step", "instruction", "image", "image_width", "image_height", "action")
ROW_COLUMNS = (*REQUIRED, "chain")


class Shards:
    """The annotated steps of a run folder (or its parquet/ folder), checked for what training needs."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.dataset = open_steps(path)
        names = set(self.dataset.schema.names)
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise InputError(
                f"{path}: the shards lack column(s) {', '.join(missing)} needed for training (schema: schemas/annotated_step.json)"
            )
        self.has_chain_column = "chain" in names

    def episode_keys(self) -> list[str]:
        return sorted(
            set(self.dataset.to_table(columns=["episode_key"]).column("episode_key").to_pylist())
        )

    def _batches(self, columns: list[str], keys: list[str] | None, batch_rows: int = 256):
        filt = pads.field("episode_key").isin(keys) if keys is not None else None
        return self.dataset.to_batches(columns=columns, filter=filt, batch_size=batch_rows)

    def actions(self, keys: list[str] | None = None) -> np.ndarray:
        parts = [
            np.asarray(b.column("action").to_pylist(), dtype=np.float32)
            for b in self._batches(["action"], keys)
            if b.num_rows
        ]
        if not parts:
            raise InputError(f"{self.path}: no steps to train on")
        return np.concatenate(parts)

    def has_reasoning(self, keys: list[str] | None = None) -> bool:
        """True when any step carries a non-empty chain."""
        if not self.has_chain_column:
            return False
        return any(
            any(c for c in b.column("chain").to_pylist()) for b in self._batches(["chain"], keys)
        )

    def rows(self, keys: list[str] | None = None) -> Iterator[dict]:
        """One pass over the steps of `keys` (all episodes when None), as dicts; a frame kept as
        a reference into a video stays one (`store.frames.RowFrames` reads it where it is used)."""
        columns = [c for c in ROW_COLUMNS if c != "chain" or self.has_chain_column]
        columns += [c for c in frame_columns(self.dataset.schema.names) if c not in columns]
        for batch in self._batches(columns, keys):
            yield from batch.to_pylist()


def split_episodes(keys: list[str], holdout: int) -> tuple[list[str], list[str]]:
    """The last `holdout` keys (sorted) are held out for evaluation; the rest train."""
    if holdout < 0 or holdout >= len(keys):
        raise InputError(
            f"cannot hold out {holdout} of {len(keys)} episodes: at least one must remain for training"
        )
    return (
        (keys[: len(keys) - holdout], keys[len(keys) - holdout :]) if holdout else (list(keys), [])
    )


def shuffled_forever(
    shards: Shards, keys: list[str], buffer: int, rng: np.random.Generator
) -> Iterator[dict]:
    """Endless epochs over the shards through a shuffle buffer (rows are streamed, not loaded)."""
    pool: list[dict] = []
    while True:
        for row in shards.rows(keys):
            pool.append(row)
            if len(pool) >= buffer:
                yield pool.pop(int(rng.integers(len(pool))))
        rng.shuffle(pool)
        yield from pool
        pool = []
