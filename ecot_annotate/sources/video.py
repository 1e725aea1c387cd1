"""Frames in MP4 videos (LeRobot), read with PyAV: where each row's frame is, and the frames decoded.

PyAV reads whatever codec the file holds (H.264, HEVC, AV1, ...), whatever info.json declares;
where this PyAV build has no decoder for it, the episode is quarantined naming file and codec.
A row's frame is found as lerobot finds it: the frame whose time is within `TOLERANCE_S` of the
row's timestamp (a video may hold more frames than the episode has rows). Finding them reads the
file's packets only (`frame_times`); frames are decoded where something looks at them
(`VideoFrames`; `video_reader.FrameReader` for references), each once, in order, with no frame converted that is not asked for.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ecot_annotate.counting import TIMING, Count, no_count
from ecot_annotate.errors import EpisodeError, InputError
from ecot_annotate.frames import Frames, VideoRef

TOLERANCE_S = 1e-4  # lerobot's `tolerance_s`: a row's frame lies this close to its timestamp
_REORDER_S = 0.5  # packets are in decode order: read this far past the end for reordered ones


def require_video_decoder() -> None:
    try:
        import av  # noqa: F401
    except ImportError as exc:
        raise InputError(
            "this LeRobot dataset stores frames as MP4 videos; decoding them needs PyAV: pip install av (or ecot-annotate[lerobot])"
        ) from exc


@dataclass(frozen=True)
class VideoSpan:
    """What the packets of one span of a video say, without decoding: each frame's time (sorted),
    the keyframes' times, and the picture size."""

    times: np.ndarray
    keyframes: np.ndarray
    size: tuple[int, int]  # (width, height)


def frame_times(path: str, start: float, stop: float, declared: str | None = None) -> VideoSpan:
    """The frames of `path` whose time lies in [start - TOLERANCE_S, stop): from the packets alone
    (nothing decoded). EpisodeError naming the file when it cannot be read."""
    import av

    times, keys, codec = [], [], f"{declared or 'unknown'} codec, as declared"
    try:
        with av.open(path) as container:
            if not container.streams.video:
                raise EpisodeError("decode", f"{path} holds no video stream")
            stream = container.streams.video[0]
            codec = f"{stream.codec_context.name} codec"
            base = float(stream.time_base)
            container.seek(max(0, int((start - TOLERANCE_S) / base)), stream=stream, backward=True)
            for packet in container.demux(stream):
                if packet.pts is None:
                    continue
                t = packet.pts * base
                if t >= stop + _REORDER_S:
                    break
                if start - TOLERANCE_S <= t < stop:
                    times.append(t)
                    if packet.is_keyframe:
                        keys.append(t)
            size = (stream.codec_context.width, stream.codec_context.height)
    except EpisodeError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken video is this episode's fault
        raise EpisodeError(
            "decode",
            f"cannot decode {path} ({codec}): {type(exc).__name__}: {exc}",
        ) from exc
    return VideoSpan(np.sort(np.asarray(times)), np.sort(np.asarray(keys)), size)


def match_rows(wanted: np.ndarray, span: VideoSpan) -> tuple[np.ndarray, np.ndarray]:
    """(for each wanted time, the nearest frame's time; whether it lies within TOLERANCE_S)."""
    if not len(span.times):
        return np.full(len(wanted), np.nan), np.zeros(len(wanted), bool)
    after = np.clip(np.searchsorted(span.times, wanted), 1, len(span.times) - 1)
    before = after - 1
    nearer = np.where(
        np.abs(span.times[before] - wanted) <= np.abs(span.times[after] - wanted), before, after
    )
    if len(span.times) == 1:
        nearer = np.zeros(len(wanted), int)
    found = span.times[nearer]
    return found, np.abs(found - wanted) <= TOLERANCE_S


SEEK_SAVES = 8  # seek ahead only where it skips at least this many frames


def _worth_seeking(last: float, wanted: float, span: VideoSpan) -> bool:
    """Whether a keyframe lies between the last frame decoded and the next wanted one such that
    seeking to it skips at least SEEK_SAVES frames."""
    after_last = int(np.searchsorted(span.times, last + TOLERANCE_S))
    before_wanted = int(np.searchsorted(span.times, wanted - TOLERANCE_S))
    if before_wanted - after_last < SEEK_SAVES:  # too few frames between to be worth a seek
        return False
    k = (
        int(np.searchsorted(span.keyframes, wanted + TOLERANCE_S)) - 1
    )  # the last keyframe <= wanted
    if k < 0 or span.keyframes[k] <= last + TOLERANCE_S:
        return False
    skipped = int(np.searchsorted(span.times, span.keyframes[k] - TOLERANCE_S)) - after_last
    return skipped >= SEEK_SAVES


def decode_at(path: str, times: Sequence[float], span: VideoSpan) -> Iterator[np.ndarray]:
    """RGB pixels of the frames at `times` (sorted frame times of `span`; repeats allowed), in
    order, in one pass over the file: it seeks past stretches of frames nobody asked for where a
    keyframe allows, and converts to RGB only the frames asked for. EpisodeError naming the file
    when it cannot be decoded."""
    try:
        yield from _decode_at(path, times, span)
    except EpisodeError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken video is this episode's fault
        raise EpisodeError("decode", f"cannot decode {path}: {type(exc).__name__}: {exc}") from exc


def _decode_at(path: str, times: Sequence[float], span: VideoSpan) -> Iterator[np.ndarray]:
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        base = float(stream.time_base)
        i, n = 0, len(times)
        while i < n:
            target = times[i]
            container.seek(max(0, int((target - TOLERANCE_S) / base)), stream=stream, backward=True)
            for frame in container.decode(stream):
                t = frame.time
                if t is None or t < target - TOLERANCE_S:
                    continue
                if t > target + TOLERANCE_S:
                    raise EpisodeError("decode", f"{path} has no frame at {target:.4f} s")
                pixels = frame.to_ndarray(format="rgb24")
                while i < n and abs(times[i] - t) <= TOLERANCE_S:
                    yield pixels
                    i += 1
                if i == n or _worth_seeking(t, times[i], span):
                    break
                target = times[i]
            else:
                if i < n:
                    raise EpisodeError(
                        "decode", f"{path} ends before its frame at {times[i]:.4f} s"
                    )


class VideoFrames(Sequence):
    """An episode's frames in a video, decoded as they are iterated: the selected steps' pixels,
    None for the others. Pickles as its reference (no pixels), so it crosses a shuffle cheaply;
    the time spent decoding is reported as `us_decode`, the frames as `frames_decoded`."""

    def __init__(self, video: VideoRef, span: VideoSpan, selected: Frames, count: Count = no_count):
        self.video, self.span, self.selected, self.count = video, span, selected, count

    def __len__(self) -> int:
        return len(self.video.times)

    def _decoded(self, steps: list[int]) -> Iterator[np.ndarray]:
        frames = decode_at(self.video.path, [self.video.times[t] for t in steps], self.span)
        spent, n = 0.0, 0
        try:
            while True:
                start = time.perf_counter()
                try:
                    pixels = next(frames)
                except StopIteration:
                    return
                finally:
                    spent += time.perf_counter() - start
                n += 1
                yield pixels
        finally:
            frames.close()
            self.count(f"{TIMING}decode", int(spent * 1e6))
            self.count("frames_decoded", n)

    def __iter__(self) -> Iterator[np.ndarray | None]:
        steps = self.selected.steps(len(self))
        decoded = self._decoded(steps)
        wanted = set(steps)
        for t in range(len(self)):
            yield next(decoded) if t in wanted else None
        decoded.close()

    def __getitem__(self, step: int) -> np.ndarray | None:  # type: ignore[override]
        if not self.selected.selects(step):
            return None
        return next(self._decoded([step]))
