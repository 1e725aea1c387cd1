"""Read and check a TFDS folder's own description: dataset_info.json, features.json, the shards.

Each file is checked before any work, and whatever is wrong with it becomes one line naming the
file (a user cannot act on a 50-line protobuf traceback). The shard list comes from the split's
declared shard lengths, so a shard that is missing or shorter than declared is still counted.
Shards are read by their record headers (tfrecord_file). Paths may be local or gs:// / s3://.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ecot_annotate import fs
from ecot_annotate.errors import InputError
from ecot_annotate.sources.tfrecord_file import (
    Gap,
    Record,
    RecordRef,
    index_records,
    read_record_at,
)


def _first_line(exc: BaseException, limit: int = 160) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def read_json(path: str) -> Any:
    """The parsed JSON of `path`, or an InputError naming the file and what is wrong with it."""
    with fs.open_read(path) as handle:
        raw = handle.read()
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a text file (not UTF-8): not valid JSON") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON: {exc}") from None


@dataclass(frozen=True)
class SplitInfo:
    """What dataset_info.json says about the dataset and one of its splits."""

    name: str | None
    version: str | None
    shard_lengths: list[int] | None  # None when the split does not declare them


def _lengths(path: str, split: dict, name: str) -> list[int] | None:
    lengths = split.get("shardLengths")
    if lengths is None:
        return None
    try:
        ok = isinstance(lengths, list) and all(int(n) >= 0 for n in lengths)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(
            f"{path}: 'shardLengths' of split '{name}' must be a list of whole numbers"
        )
    return [int(n) for n in lengths]


def read_split_info(path: str, split: str) -> SplitInfo:
    """dataset_info.json checked: a JSON object whose 'splits' include `split`."""
    info = read_json(path)
    if not isinstance(info, dict):
        raise InputError(f"{path} must hold a JSON object, not {type(info).__name__}")
    splits = info.get("splits", [])
    if not isinstance(splits, list) or not all(
        isinstance(s, dict) and isinstance(s.get("name"), str) for s in splits
    ):
        raise InputError(f"{path}: 'splits' must be a list of objects with a 'name'")
    found = {s["name"]: s for s in splits}
    if split not in found:
        raise InputError(f"{path} has no split '{split}'; splits: {sorted(found) or '(none)'}")
    name, version = info.get("name"), info.get("version")
    return SplitInfo(
        name if isinstance(name, str) and name else None,
        version if isinstance(version, str) and version else None,
        _lengths(path, found[split], split),
    )


def read_features(path: str) -> str:
    """features.json checked by building the FeatureConnector from it; returns its text."""
    import tensorflow_datasets as tfds

    spec = read_json(path)
    if not isinstance(spec, dict):
        raise InputError(
            f"{path} must hold a TFDS feature description (a JSON object), not {type(spec).__name__}"
        )
    try:
        tfds.features.FeatureConnector.from_json(spec)
    except Exception as exc:  # noqa: BLE001 - TFDS raises parse, key, type and value errors here
        raise InputError(f"{path} is not a TFDS feature description ({_first_line(exc)})") from None
    return json.dumps(spec)


def shard_paths(
    root: str, name: str, split: str, lengths: list[int] | None
) -> list[tuple[str, int | None]]:
    """(path, declared records) of every shard of the split, present on disk or not.

    With declared lengths the expected TFDS names are listed, so a missing shard file still counts
    its records (even when none is left: every declared episode is then quarantined by index);
    otherwise the files on disk, with no declaration. No shard and no declaration is an error:
    the folder is most likely not the one meant.
    """
    pattern = f"{root}/{name}-{split}.tfrecord-*"
    found = sorted(fs.match(pattern))
    if not found and not lengths:
        raise InputError(f"{root}: no shards match {pattern}")
    if lengths:
        n = len(lengths)
        expected = [f"{root}/{name}-{split}.tfrecord-{i:05d}-of-{n:05d}" for i in range(n)]
        if set(found) <= set(expected):
            return list(zip(expected, lengths, strict=True))
        if len(found) == n:
            return list(zip(found, lengths, strict=True))
        raise InputError(
            f"{root}/dataset_info.json declares {n} shard(s) for split '{split}' but the folder "
            f"holds {len(found)} not named as TFDS names them ({found[0].rsplit('/', 1)[-1]}, ...)"
        )
    return [(path, None) for path in found]


def index_shard_file(path: str, declared: int | None) -> Iterator[RecordRef | Record | Gap]:
    """RecordRefs of a shard's records (headers only), an error Record for every record that
    the shard should hold but cannot give (in an unreadable span, cut off, or in a missing file),
    and a Gap for damage that holds no declared record."""
    if not fs.exists(path):
        reason = f"shard file is missing; dataset_info.json declares {declared}"
        yield from (Record(position, None, reason) for position in range(declared or 0))
        return
    with fs.open_read(path) as handle:
        yield from index_records(handle, fs.size(path), declared)


def read_shard_file(
    path: str, declared: int | None
) -> Iterator[tuple[int, bytes | None, str | None]]:
    """(position, record bytes or None, error) for every record index_shard_file counts."""
    items = list(index_shard_file(path, declared))  # headers only: a few numbers per record
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(fs.open_read(path)) if fs.exists(path) else None
        for item in items:
            if isinstance(item, Gap):
                continue  # no record of the shard: the source reports it as damage
            found = isinstance(item, RecordRef)
            yield item.position, *(read_record_at(handle, item) if found else (None, item.error))
