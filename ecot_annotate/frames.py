"""Which frames a run reads of each episode, and how a frame travels through the pipeline.

A frame travels as the source had it: the encoded bytes a dataset stored (RLDS's JPEG, images
embedded in LeRobot Parquet) or the pixels decoded from a video, never re-encoded on the way. An
output that stores images encodes a decoded frame once (`encoded`). Steps and outputs declare the
frames they read (`FrameRequest`), the run plan adds them up, and the source decodes only those.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

Frame = bytes | np.ndarray  # encoded as stored, or decoded (H, W, 3) uint8 pixels
JPEG_QUALITY = (
    90  # where a decoded frame is stored as JPEG (Parquet of a video with --parquet-frames jpeg)
)


@dataclass(frozen=True)
class Frames:
    """A selection of an episode's steps: step 0 (`first`), and every n-th step from step 0 for
    each n in `periods` (1: every step)."""

    periods: frozenset[int] = frozenset()
    first: bool = False

    def selects(self, step: int) -> bool:
        return (self.first and step == 0) or any(step % n == 0 for n in self.periods)

    def steps(self, n_steps: int) -> list[int]:
        return [t for t in range(n_steps) if self.selects(t)]

    @property
    def every_step(self) -> bool:
        return 1 in self.periods

    def __bool__(self) -> bool:
        return self.first or bool(self.periods)

    def __or__(self, other: Frames) -> Frames:
        return Frames(self.periods | other.periods, self.first or other.first)


NO_FRAMES = Frames()
FIRST_FRAME = Frames(first=True)
EVERY_FRAME = Frames(frozenset({1}))


def every(n: int) -> Frames:
    """Every n-th step's frame, from step 0 (a detector on every n-th frame)."""
    if n < 1:
        raise ValueError(f"every n-th frame needs n >= 1, got {n}")
    return Frames(frozenset({n}))


@dataclass(frozen=True)
class FrameRequest:
    """What a run reads of an episode's frames: the `pixels` some step looks at, and the frames
    an output `stored` as they are (where the source keeps video, a reference into it suffices,
    so nothing is decoded for them)."""

    pixels: Frames = NO_FRAMES
    stored: Frames = NO_FRAMES

    def __or__(self, other: FrameRequest) -> FrameRequest:
        return FrameRequest(self.pixels | other.pixels, self.stored | other.stored)

    def __bool__(self) -> bool:
        return bool(self.pixels) or bool(self.stored)

    @property
    def any_frame(self) -> Frames:
        """Every frame read in any form."""
        return self.pixels | self.stored


NOTHING = FrameRequest()
PIXELS = FrameRequest(pixels=EVERY_FRAME)  # every frame, looked at (what a reader gives by default)


@dataclass(frozen=True)
class VideoRef:
    """Where an episode's frames are in a video: the file, and each step's time in it (seconds,
    a frame's own presentation time). A Parquet output can store this instead of the frames."""

    path: str
    times: tuple[float, ...]


def encoded(frame: Frame, quality: int = JPEG_QUALITY) -> bytes:
    """The frame as image bytes: stored bytes as they are, decoded pixels as JPEG (once, at the
    output that stores them)."""
    if not isinstance(frame, np.ndarray):
        return bytes(frame)
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
