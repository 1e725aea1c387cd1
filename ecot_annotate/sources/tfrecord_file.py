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


def read_records(handle: BinaryIO) -> Iterator[Record]:
    """Yield every record; a record whose data CRC fails is yielded with an error, not raised."""
    position = 0
    while True:
        header = handle.read(12)
        if not header:
            return
        if len(header) < 12:
            yield Record(position, None, "truncated record header at end of file")
            return
        (length,) = struct.unpack("<Q", header[:8])
        (length_crc,) = struct.unpack("<I", header[8:])
        if _masked_crc(header[:8]) != length_crc:
            yield Record(position, None, "corrupt record length; rest of the file is unreadable")
            return
        data = handle.read(length)
        footer = handle.read(4)
        if len(data) < length or len(footer) < 4:
            yield Record(position, None, "truncated record at end of file")
            return
        if _masked_crc(data) != struct.unpack("<I", footer)[0]:
            yield Record(position, None, "record data fails its CRC check (corrupt bytes)")
        else:
            yield Record(position, data)
        position += 1


def write_record(handle: BinaryIO, data: bytes) -> None:
    """Write one record in TFRecord framing (used by tests that build shards byte by byte)."""
    length = struct.pack("<Q", len(data))
    handle.write(length + struct.pack("<I", _masked_crc(length)))
    handle.write(data + struct.pack("<I", _masked_crc(data)))
