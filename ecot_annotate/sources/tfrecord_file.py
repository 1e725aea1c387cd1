"""Read TFRecord files record by record, keeping each record's position and surviving bad ones.

tf.data stops a whole shard at the first corrupt record and Beam's reader gives no positions; we
need both a stable position (for the episode key) and to quarantine one bad record while reading
on. The framing is four fields: length (u64), masked CRC of the length, data, masked CRC of data.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import crcmod.predefined

_crc32c = crcmod.predefined.mkCrcFun("crc-32c")


def _masked_crc(data: bytes) -> int:
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


@dataclass
class Record:
    position: int
    data: bytes | None  # None when the record is corrupt
    error: str | None = None


@dataclass(frozen=True)
class RecordRef:
    """Where a record sits in its file: small enough to shuffle between workers instead of data."""

    position: int
    offset: int  # of the record's header
    length: int  # of its data


def _header(handle: BinaryIO) -> tuple[int | None, str | None]:
    """(data length, None) of the next record, (None, None) at the end, or (None, error)."""
    header = handle.read(12)
    if not header:
        return None, None
    if len(header) < 12:
        return None, "truncated record header at end of file"
    (length,) = struct.unpack("<Q", header[:8])
    if _masked_crc(header[:8]) != struct.unpack("<I", header[8:])[0]:
        return None, "corrupt record length; rest of the file is unreadable"
    return length, None


def _body(handle: BinaryIO, length: int) -> tuple[bytes | None, str | None]:
    data = handle.read(length)
    footer = handle.read(4)
    if len(data) < length or len(footer) < 4:
        return None, "truncated record at end of file"
    if _masked_crc(data) != struct.unpack("<I", footer)[0]:
        return None, "record data fails its CRC check (corrupt bytes)"
    return data, None


def read_records(handle: BinaryIO) -> Iterator[Record]:
    """Yield every record; a record whose data CRC fails is yielded with an error, not raised."""
    position = 0
    while True:
        length, error = _header(handle)
        if length is None:
            if error:
                yield Record(position, None, error)
            return
        data, error = _body(handle, length)
        yield Record(position, data, error)
        if error and data is None and error.startswith("truncated"):
            return
        position += 1


def scan_records(handle: BinaryIO, size: int) -> Iterator[RecordRef | Record]:
    """Index a file by reading only record headers; a broken header ends the scan with a Record error."""
    position = offset = 0
    while True:
        handle.seek(offset)
        length, error = _header(handle)
        if length is None:
            if error:
                yield Record(position, None, error)
            return
        if offset + 16 + length > size:
            yield Record(position, None, "truncated record at end of file")
            return
        yield RecordRef(position, offset, length)
        offset += 16 + length
        position += 1


def read_record_at(handle: BinaryIO, ref: RecordRef) -> tuple[bytes | None, str | None]:
    """(data, None) of one indexed record, or (None, why it cannot be used)."""
    handle.seek(ref.offset + 12)
    return _body(handle, ref.length)


def write_record(handle: BinaryIO, data: bytes) -> None:
    """Write one record in TFRecord framing (used by tests that build shards byte by byte)."""
    length = struct.pack("<Q", len(data))
    handle.write(length + struct.pack("<I", _masked_crc(length)))
    handle.write(data + struct.pack("<I", _masked_crc(data)))
