"""Malformed dataset_info.json / features.json: one line naming the file, before any work."""

from __future__ import annotations

import os
import shutil

import pytest

from ecot_annotate.errors import InputError
from ecot_annotate.sources.rlds import RldsDataset

CASES = {
    "features random bytes": (
        "features.json",
        os.urandom(64) + b"\xff",
        "features.json is not a text file",
    ),
    "features other json": (
        "features.json",
        b'{"hello": [1,2,3]}',
        "features.json is not a TFDS feature description (ParseError",
    ),
    "features null": (
        "features.json",
        b"null",
        "features.json must hold a TFDS feature description (a JSON object), not NoneType",
    ),
    "features unknown class": (
        "features.json",
        b'{"pythonClassName": "x.Y"}',
        "features.json is not a TFDS feature description (ValueError",
    ),
    "info random bytes": (
        "dataset_info.json",
        b"\x00\xff" + os.urandom(64),
        "dataset_info.json is not a text file",
    ),
    "info truncated": (
        "dataset_info.json",
        b'{"name": "bridge_dataset", "spl',
        "dataset_info.json is not valid JSON: ",
    ),
    "info a list": (
        "dataset_info.json",
        b"[1, 2]",
        "dataset_info.json must hold a JSON object, not list",
    ),
    "info bad splits": (
        "dataset_info.json",
        b'{"splits": 5}',
        "dataset_info.json: 'splits' must be a list of objects with a 'name'",
    ),
    "info bad lengths": (
        "dataset_info.json",
        b'{"splits": [{"name": "train", "shardLengths": ["x"]}]}',
        "'shardLengths' of split 'train' must be a list of whole numbers",
    ),
    "info other shards": (
        "dataset_info.json",
        b'{"name": "bridge_dataset", "splits": [{"name": "train", "shardLengths": ["9", "9"]}]}',
        "declares 2 shard(s) for split 'train' but the folder holds 1",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_metadata_is_one_line_naming_the_file(case, bridge_dir, tmp_path):
    name, data, expected = CASES[case]
    folder = tmp_path / "bridge_dataset" / "1.0.0"
    shutil.copytree(bridge_dir, folder, ignore=shutil.ignore_patterns("*.tfrecord-*"))
    (folder / "bridge_dataset-train.tfrecord-00000-of-00001").write_bytes(b"")
    (folder / name).write_bytes(data)
    with pytest.raises(InputError) as caught:
        RldsDataset.open(str(folder))
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400
    assert message.startswith(str(folder / name)) or f"{folder}/{name}" in message
    assert expected in message
