"""The frame of a row of a finished run's Parquet: its stored bytes, or the frame it refers to.

A run over a video input keeps references by default (`image` empty, `image_video` and
`image_time`, schemas/video_reference.json); every reader of frames (train, evaluate, report,
review) reads them through here, so either kind of Parquet reads the same.
"""

from __future__ import annotations

from collections.abc import Iterable

from ecot_annotate.frames import Frame
from ecot_annotate.sources.video_reader import FrameReader

REFERENCE_COLUMNS = ("image_video", "image_time")


def frame_columns(names: Iterable[str]) -> list[str]:
    """The columns a frame is read from, of those a Parquet has."""
    names = set(names)
    return [c for c in ("image", *REFERENCE_COLUMNS) if c in names]


class RowFrames:
    """Frames of rows, with the videos they refer to kept open between rows."""

    def __init__(self):
        self.reader = FrameReader()

    def frame(self, row: dict) -> Frame:
        """The row's frame: its bytes, or the decoded pixels it refers to (empty bytes where the
        run had no camera)."""
        if not row.get("image") and row.get("image_video"):
            return self.reader.at(row["image_video"], row["image_time"])
        return row.get("image") or b""

    def close(self) -> None:
        self.reader.close()
