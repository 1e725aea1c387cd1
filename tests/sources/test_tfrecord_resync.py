"""A shard with a bad span: every record it should hold is counted, the readable ones are read."""

from __future__ import annotations

import io
import random
import shutil

import pytest

from ecot_annotate.sources.rlds import RldsDataset, index_shard, read_shard
from ecot_annotate.sources.tfrecord_file import (
    HEADER,
    Gap,
    Record,
    RecordRef,
    index_records,
    scan_frames,
    write_record,
)

PAYLOADS = [bytes([i]) * (50 + 7 * i) for i in range(8)]


def _file(payloads=PAYLOADS) -> tuple[bytearray, list[int]]:
    handle, offsets = io.BytesIO(), []
    for data in payloads:
        offsets.append(handle.tell())
        write_record(handle, data)
    return bytearray(handle.getvalue()), offsets


def _index(raw: bytes, declared: int | None) -> list:
    return list(index_records(io.BytesIO(bytes(raw)), len(raw), declared))


def test_corrupt_length_header_costs_one_record_and_reading_goes_on():
    raw, offsets = _file()
    raw[offsets[3] + 2] ^= 0x40
    items = _index(raw, declared=8)
    assert [type(i) for i in items] == [RecordRef] * 3 + [Record] + [RecordRef] * 4
    assert [i.position for i in items] == list(range(8))
    assert (
        items[3].error
        == f"corrupt record length header; bytes {offsets[3]}-{offsets[4]} unreadable"
    )
    handle = io.BytesIO(bytes(raw))
    handle.seek(items[4].offset + HEADER)
    assert handle.read(items[4].length) == PAYLOADS[4]


def test_garbage_inside_the_file_is_one_gap_with_its_byte_range():
    raw, offsets = _file()
    raw[offsets[2] : offsets[5]] = bytes(i % 251 for i in range(offsets[5] - offsets[2]))
    found = list(scan_frames(io.BytesIO(bytes(raw)), len(raw)))
    gaps = [g for g in found if isinstance(g, Gap)]
    assert len(gaps) == 1 and (gaps[0].start, gaps[0].end) == (offsets[2], offsets[5])
    items = _index(raw, declared=8)  # the declaration says three records are missing there
    assert [i.position for i in items if isinstance(i, Record)] == [2, 3, 4]
    assert [i.position for i in items if isinstance(i, RecordRef)] == [0, 1, 5, 6, 7]


def test_truncated_file_quarantines_every_missing_record_by_index():
    raw, offsets = _file()
    items = _index(raw[: offsets[5] + 20], declared=8)
    lost = [i for i in items if isinstance(i, Record)]
    assert [i.position for i in lost] == [5, 6, 7]
    assert lost[0].error.startswith("truncated record: the file ends inside it; bytes")


def test_shorter_than_declared_and_empty_files_count_what_is_missing():
    raw, offsets = _file()
    short = _index(raw[: offsets[6]], declared=8)
    assert [i.position for i in short if isinstance(i, Record)] == [6, 7]
    assert short[-1].error == "the file ends after 6 record(s); dataset_info.json declares 8"
    empty = _index(b"", declared=4)
    assert [(i.position, i.error) for i in empty] == [
        (n, "the file is empty; dataset_info.json declares 4") for n in range(4)
    ]
    assert _index(b"", declared=None) == []


def _copy(bridge_dir, tmp_path):
    folder = tmp_path / "bridge_dataset" / "1.0.0"
    shutil.copytree(bridge_dir, folder)
    return folder, next(folder.glob("*.tfrecord-*"))


def test_bridge_shard_with_a_flipped_length_byte_reads_the_other_24(bridge_dir, tmp_path):
    folder, shard_file = _copy(bridge_dir, tmp_path)
    refs = list(index_shard(RldsDataset.open(str(folder)).shards[0]))
    raw = bytearray(shard_file.read_bytes())
    raw[refs[12].offset + 1] ^= 0xFF
    shard_file.write_bytes(bytes(raw))
    dataset = RldsDataset.open(str(folder))
    assert dataset.num_episodes == dataset.shards[0].declared == 25
    records = list(read_shard(dataset.shards[0]))
    assert [p for p, data, _ in records if data is None] == [12]
    assert [p for p, data, _ in records if data is not None] == [*range(12), *range(13, 25)]


def test_missing_shard_file_is_counted_by_its_declaration(tmp_path):
    from ecot_annotate.sample.generate import write_sample

    root = write_sample(tmp_path, episodes=4, seed=0, shards=2)
    second = sorted(root.glob("*.tfrecord-*"))[1]
    second.unlink()
    dataset = RldsDataset.open(str(root))
    assert [s.declared for s in dataset.shards] == [2, 2]
    lost = list(index_shard(dataset.shards[1]))
    assert [(r.position, r.error) for r in lost] == [
        (n, "shard file is missing; dataset_info.json declares 2") for n in range(2)
    ]


@pytest.mark.parametrize("declared", [None, 3])
def test_intact_files_read_unchanged(declared):
    raw, _ = _file(PAYLOADS[:3])
    assert [type(i) for i in _index(raw, declared)] == [RecordRef] * 3


def test_garbage_appended_after_the_last_record_is_damage_not_a_record():
    raw, _ = _file()
    end = len(raw)
    raw += random.Random(0).randbytes(3000)
    items = _index(raw, declared=8)
    assert [type(i) for i in items] == [RecordRef] * 8 + [Gap]
    assert [i.position for i in items[:8]] == list(range(8))
    assert (items[-1].start, items[-1].end) == (end, len(raw))


def test_two_damaged_spans_keep_every_later_record_at_its_own_position():
    payloads = [bytes([i]) * 80 for i in range(12)]
    raw, offsets = _file(payloads)
    raw[offsets[3] : offsets[5]] = bytes(i % 251 for i in range(offsets[5] - offsets[3]))
    raw[offsets[10] + 2] ^= 0x40
    items = _index(raw, declared=12)
    assert [i.position for i in items] == list(range(12))
    assert [i.position for i in items if isinstance(i, Record)] == [3, 4, 10]
    handle = io.BytesIO(bytes(raw))
    for ref in (i for i in items if isinstance(i, RecordRef)):
        handle.seek(ref.offset + HEADER)
        assert handle.read(ref.length) == payloads[ref.position]


def test_deleting_the_only_shard_counts_every_declared_episode(tmp_path):
    from ecot_annotate.sample.generate import write_sample

    root = write_sample(tmp_path, episodes=3, seed=0, shards=1)
    next(root.glob("*.tfrecord-*")).unlink()
    dataset = RldsDataset.open(str(root))
    assert dataset.num_episodes == 3
    assert [(r.position, r.error) for r in index_shard(dataset.shards[0])] == [
        (n, "shard file is missing; dataset_info.json declares 3") for n in range(3)
    ]


def test_bridge_shard_with_two_damaged_spans_and_garbage_after_it(bridge_dir, tmp_path):
    folder, shard_file = _copy(bridge_dir, tmp_path)
    offsets = [ref.offset for ref in index_shard(RldsDataset.open(str(folder)).shards[0])]
    raw = bytearray(shard_file.read_bytes())
    raw[offsets[3] : offsets[5]] = bytes(i % 251 for i in range(offsets[5] - offsets[3]))
    raw[offsets[10] + 3] ^= 0x01
    raw += random.Random(2).randbytes(3000)
    shard_file.write_bytes(bytes(raw))
    items = list(index_shard(RldsDataset.open(str(folder)).shards[0]))
    assert [i.position for i in items if isinstance(i, Record)] == [3, 4, 10]
    refs = [i for i in items if isinstance(i, RecordRef)]
    assert [(r.position, r.offset) for r in refs] == [
        (n, offsets[n]) for n in range(25) if n not in (3, 4, 10)
    ]
    assert [type(i) for i in items].count(Gap) == 1  # the appended bytes: damage, no 26th record
