"""Frames at (video, time) pairs, in any order: what reads a Parquet that refers into videos.

The trainer asks for frames in shuffled order, a report in step order. Seeking the file for each
frame costs more than decoding it, so a video is read by its packets instead: demuxed forward once,
the last `KEEP` kept in memory (tens of seconds of compressed video), and a frame is decoded from
the keyframe before it, or on from the frame decoded last when nothing lies between. A frame asked
for out of order therefore costs the frames of its GOP (lerobot encodes a keyframe every 2 frames),
one asked for in order one frame. Only a jump back past the packets kept reopens the file.
"""

from __future__ import annotations

import numpy as np

from ecot_annotate.errors import EpisodeError

KEEP = 2048  # packets kept per open video (about a minute at 30 Hz)


class _PacketVideo:
    """One video, its packets demuxed forward and kept, its decoder fed from them."""

    def __init__(self, path: str):
        self.path = path
        self._open()

    def _open(self) -> None:
        import av

        self.container = av.open(self.path)
        self.stream = self.container.streams.video[0]
        self.codec = self.stream.codec_context
        self.codec.thread_type = "SLICE"  # frame threads would hold frames back: more to feed
        self.base = float(self.stream.time_base)
        self.demuxer = self.container.demux(self.stream)
        self.kept: list = []  # packets in decode order, the first being number `first`
        self.first = 0
        self.number: dict[int, int] = {}  # a packet's pts -> its number
        self.fed: int | None = None  # the last packet fed since the decoder was flushed

    def close(self) -> None:
        self.container.close()

    def _packet(self, number: int):
        return self.kept[number - self.first]

    def _next(self):
        """The next packet of the file, kept (the oldest let go past KEEP); None at its end."""
        for packet in self.demuxer:
            if packet.pts is None or not packet.size:
                continue
            self.number[packet.pts] = self.first + len(self.kept)
            self.kept.append(packet)
            if len(self.kept) > KEEP:
                del self.number[self.kept.pop(0).pts]
                self.first += 1
                if self.fed is not None and self.fed < self.first:
                    self.fed = None
            return packet
        return None

    def _demux_to(self, pts: int) -> int | None:
        """The number of the packet of `pts`, demuxing forward as far as it needs; None when the
        file has none."""
        while pts not in self.number:
            if self._next() is None:
                return None
        return self.number[pts]

    def _keyframe(self, number: int) -> int | None:
        while number >= self.first and not self._packet(number).is_keyframe:
            number -= 1
        return number if number >= self.first else None

    def at(self, t: float) -> np.ndarray | None:
        pts = round(t / self.base)
        if self.kept and pts < self._packet(self.first).pts and pts not in self.number:
            self.close()
            self._open()  # before the packets kept: read the file again from its start
        number = self._demux_to(pts)
        if number is None:
            return None
        key = self._keyframe(number)
        if key is None:  # its keyframe was let go: read the file again up to it
            self.close()
            self._open()
            number = self._demux_to(pts)
            key = self._keyframe(number)
            if key is None:
                raise ValueError(
                    f"the frame at {t:.4f} s is more than {KEEP} packets after its keyframe"
                )
        on = self.fed is not None and key <= self.fed < number  # nothing between: decode on
        start = self.fed + 1 if on else key
        if not on:
            self.codec.flush_buffers()
        return self._decode(start, pts)

    def _decode(self, start: int, pts: int) -> np.ndarray | None:
        """Feed packets from `start` until the frame of `pts` comes out (frames come out in
        presentation order, so a frame with a later time means it is not there)."""
        number = start
        while True:
            held = number < self.first + len(self.kept)
            packet = self._packet(number) if held else self._next()
            frames = self.codec.decode(packet)
            self.fed = number if packet is not None else None
            for frame in frames:
                if frame.pts == pts:
                    return frame.to_ndarray(format="rgb24")
                if frame.pts is not None and frame.pts > pts:
                    return None
            if packet is None:
                return None
            number += 1


class FrameReader:
    """Frames at (video, time) pairs; a few videos stay open, the one used least lately closes."""

    OPEN = 4

    def __init__(self):
        self.videos: dict[str, _PacketVideo] = {}

    def at(self, path: str, t: float) -> np.ndarray:
        """The frame's pixels; EpisodeError naming the file when it is not there."""
        video = self.videos.pop(path, None)
        try:
            video = video or _PacketVideo(path)
            pixels = video.at(t)
        except Exception as exc:  # noqa: BLE001 - a missing or broken video is said in one line
            raise EpisodeError(
                "decode", f"cannot decode {path}: {type(exc).__name__}: {exc}"
            ) from exc
        self.videos[path] = video  # the one used last goes last
        while len(self.videos) > self.OPEN:
            self.videos.pop(next(iter(self.videos))).close()
        if pixels is None:
            raise EpisodeError("decode", f"{path} has no frame at {t:.4f} s")
        return pixels

    def close(self) -> None:
        for video in self.videos.values():
            video.close()
        self.videos.clear()
