"""Read TFRecord files record by record, keeping each record's position and surviving bad ones.

tf.data stops a whole shard at the first corrupt record and Beam's reader gives no positions; we
need both a stable position (for the episode key) and to quarantine one bad record while reading
on. The framing is four fields: length (u64), masked CRC of the length, data, masked CRC of data.
Because the length carries its own CRC, a reader that meets a corrupt header can find the next
intact record by scanning forward for an offset whose length and length-CRC agree.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import crcmod.predefined
import numpy as np

_crc32c = crcmod.predefined.mkCrcFun("crc-32c")
HEADER, FOOTER = 12, 4
_WINDOW = 1 << 20  # bytes scanned at a time while resynchronising


def _masked_crc(data: bytes) -> int:
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


@dataclass
class Record:
    position: int
    data: bytes | None  # None when the record is corrupt or missing
    error: str | None = None


@dataclass(frozen=True)
class RecordRef:
    """Where a record sits in its file: small enough to shuffle between workers instead of data."""

    position: int
    offset: int  # of the record's header
    length: int  # of its data


@dataclass(frozen=True)
class Frame:
    """A record whose header checks out: its header offset and data length."""

    offset: int
    length: int


@dataclass(frozen=True)
class Gap:
    """A byte range [start, end) holding no readable record header."""

    start: int
    end: int
    reason: str

    def describe(self) -> str:
        return f"{self.reason}; bytes {self.start}-{self.end} unreadable"


def _valid_header(header: bytes, offset: int, size: int) -> int | None:
    """The data length when `header` is an intact header of a record that fits in the file."""
    if len(header) < HEADER:
        return None
    (length,) = struct.unpack("<Q", header[:8])
    if offset + HEADER + length + FOOTER > size:
        return None
    if _masked_crc(header[:8]) != struct.unpack("<I", header[8:HEADER])[0]:
        return None
    return length


def _candidates(window: bytes, base: int, size: int) -> np.ndarray:
    """Offsets in `window` whose 8 bytes read as a length that fits in the rest of the file."""
    count = len(window) - HEADER + 1
    if count <= 0:
        return np.empty(0, np.int64)
    lengths = np.empty(count, np.uint64)
    for shift in range(8):
        words = np.frombuffer(window, "<u8", count=(len(window) - shift) // 8, offset=shift)
        lengths[shift::8] = words[: len(range(shift, count, 8))]
    room = size - (base + np.arange(count)) - HEADER - FOOTER
    return np.flatnonzero(lengths <= room.astype(np.uint64))


def resync(handle: BinaryIO, start: int, size: int) -> int | None:
    """The first offset after `start` where an intact record header begins, or None."""
    offset = start + 1
    while offset < size - HEADER - FOOTER + 1:
        handle.seek(offset)
        window = handle.read(_WINDOW + HEADER - 1)
        for i in _candidates(window, offset, size):
            i = int(i)
            if _valid_header(window[i : i + HEADER], offset + i, size) is not None:
                return offset + i
        offset += _WINDOW
    return None


def scan_frames(handle: BinaryIO, size: int) -> Iterator[Frame | Gap]:
    """Index a file by its record headers; an unreadable span becomes a Gap and the scan reads on."""
    offset = 0
    while offset < size:
        handle.seek(offset)
        header = handle.read(HEADER)
        length = _valid_header(header, offset, size)
        if length is not None:
            yield Frame(offset, length)
            offset += HEADER + length + FOOTER
            continue
        if len(header) < HEADER:
            yield Gap(offset, size, "truncated record header at end of file")
            return
        reason = (
            "truncated record: the file ends inside it"
            if _masked_crc(header[:8]) == struct.unpack("<I", header[8:])[0]
            else "corrupt record length header"
        )
        following = resync(handle, offset, size)
        yield Gap(offset, size if following is None else following, reason)
        if following is None:
            return
        offset = following


def _body(handle: BinaryIO, length: int) -> tuple[bytes | None, str | None]:
    data = handle.read(length)
    footer = handle.read(FOOTER)
    if len(data) < length or len(footer) < FOOTER:
        return None, "truncated record at end of file"
    if _masked_crc(data) != struct.unpack("<I", footer)[0]:
        return None, "record data fails its CRC check (corrupt bytes)"
    return data, None


def read_record_at(handle: BinaryIO, ref: RecordRef) -> tuple[bytes | None, str | None]:
    """(data, None) of one indexed record, or (None, why it cannot be used)."""
    handle.seek(ref.offset + HEADER)
    return _body(handle, ref.length)


def _gap_sizes(gaps: list[Gap], frames: list[Frame], declared: int | None, size: int) -> list[int]:
    """How many records each gap stands for, so the records after it keep their positions.

    Without a declaration, one each. With one, the records the intact headers do not account
    for are shared out: first one to each gap a record follows (a damaged header cost a record),
    then more, one at a time to the gap furthest below its size in records of the file's mean
    size, up to that size; a gap the file ends inside takes all the rest, and what no gap takes
    is missing after the file's end. A gap at the end that gets none is damage outside any
    record (bytes appended after the last one).
    """
    if declared is None:
        return [1] * len(gaps)
    missing = max(0, declared - len(frames))
    mean = sum(HEADER + f.length + FOOTER for f in frames) / len(frames) if frames else None
    cut = [g.reason.startswith("truncated") for g in gaps]
    want = [
        math.inf if c else (g.end - g.start) / mean if mean else 1.0
        for g, c in zip(gaps, cut, strict=True)
    ]
    most = [w if math.isinf(w) else max(1, round(w)) for w in want]
    sizes = [0] * len(gaps)
    followed = [j for j, g in enumerate(gaps) if g.end < size or cut[j]]
    for j in sorted(followed, key=lambda j: -want[j])[:missing]:
        sizes[j] = 1
    for _ in range(missing - sum(sizes)):
        room = [j for j in range(len(gaps)) if sizes[j] < most[j]]
        if not room:
            break
        sizes[max(room, key=lambda j: want[j] - sizes[j])] += 1
    return sizes


def index_records(
    handle: BinaryIO, size: int, declared: int | None
) -> Iterator[RecordRef | Record | Gap]:
    """Every record a file holds or should hold, numbered: a RecordRef for each intact header, an
    error Record for each record lost in an unreadable span or missing from a file shorter than
    `declared`, and the Gap itself for an unreadable span that holds no declared record. So the
    positions of records after a bad span are those the writer gave them."""
    items = list(scan_frames(handle, size)) if size else []
    gaps = [item for item in items if isinstance(item, Gap)]
    frames = [item for item in items if isinstance(item, Frame)]
    sizes = iter(_gap_sizes(gaps, frames, declared, size))
    position = 0
    for item in items:
        if isinstance(item, Frame):
            yield RecordRef(position, item.offset, item.length)
            position += 1
            continue
        count = next(sizes)
        if not count:
            yield item
        for _ in range(count):
            yield Record(position, None, item.describe())
            position += 1
    if declared is not None and position < declared:
        held = "the file is empty" if not size else f"the file ends after {position} record(s)"
        for missing in range(position, declared):
            yield Record(missing, None, f"{held}; dataset_info.json declares {declared}")


def read_records(handle: BinaryIO) -> Iterator[Record]:
    """Every record of a whole file in order, numbered as read; an unreadable span is one error Record."""
    size = handle.seek(0, 2)
    for position, item in enumerate(list(scan_frames(handle, size))):
        if isinstance(item, Gap):
            yield Record(position, None, item.describe())
            continue
        data, error = read_record_at(handle, RecordRef(position, item.offset, item.length))
        yield Record(position, data, error)


def write_record(handle: BinaryIO, data: bytes) -> None:
    """Write one record in TFRecord framing (used by tests that build shards byte by byte)."""
    length = struct.pack("<Q", len(data))
    handle.write(length + struct.pack("<I", _masked_crc(length)))
    handle.write(data + struct.pack("<I", _masked_crc(data)))
