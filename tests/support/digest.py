"""Content digests of a run's Parquet, ECoT JSON and RLDS outputs, independent of file layout.

Rows and records are hashed in key order, so shard names, row order and protobuf map order (which
vary run to run) do not count; every value does.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.dataset as pads


def _value(value):
    if isinstance(value, bytes):
        return {"sha256": hashlib.sha256(value).hexdigest()}
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    return value


def parquet_digest(out: Path) -> str:
    table = pads.dataset(str(out / "parquet"), format="parquet").to_table()
    table = table.sort_by([("episode_key", "ascending"), ("step", "ascending")])
    digest = hashlib.sha256(str(table.schema).encode())
    for row in table.to_pylist():
        digest.update(json.dumps(_value(row), sort_keys=True).encode())
    return digest.hexdigest()


def ecot_json_digest(out: Path) -> str:
    return hashlib.sha256((out / "ecot" / "reasonings.json").read_bytes()).hexdigest()


def rlds_digest(out: Path) -> str:
    import tensorflow as tf

    records = []
    for path in sorted((out / "rlds").rglob("*.tfrecord*")):
        for data in tf.data.TFRecordDataset(str(path)).as_numpy_iterator():
            example = tf.train.Example.FromString(data)
            features = example.features.feature
            parts = [
                (k, features[k].SerializeToString(deterministic=True)) for k in sorted(features)
            ]
            records.append(hashlib.sha256(repr(parts).encode()).hexdigest())
    digest = hashlib.sha256()
    for name in ("features.json",):
        for path in sorted((out / "rlds").rglob(name)):
            digest.update(path.read_bytes())
    for record in sorted(records):
        digest.update(record.encode())
    return digest.hexdigest()


def run_digests(out: Path) -> dict[str, str]:
    return {
        "parquet": parquet_digest(out),
        "ecot-json": ecot_json_digest(out),
        "rlds": rlds_digest(out),
    }
