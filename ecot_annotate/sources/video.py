"""MP4 frames for sources that store cameras as video (LeRobot), decoded with PyAV."""

from __future__ import annotations

import numpy as np

from ecot_annotate.errors import InputError


def require_video_decoder() -> None:
    try:
        import av  # noqa: F401
    except ImportError as exc:
        raise InputError(
            "this LeRobot dataset stores frames as MP4 videos; decoding them needs PyAV: pip install av (or ecot-annotate[lerobot])"
        ) from exc


def decode_video(path: str, start: float, stop: float, fps: float) -> list[np.ndarray]:
    """RGB frames whose time lies in [start, stop) of one MP4 (a v3 file holds many episodes)."""
    import av

    half = 0.5 / fps
    frames = []
    with av.open(path) as container:
        stream = container.streams.video[0]
        container.seek(max(0, int((start - half) / stream.time_base)), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.time is None or frame.time < start - half:
                continue
            if frame.time >= stop - half:
                break
            frames.append(frame.to_ndarray(format="rgb24"))
    return frames
