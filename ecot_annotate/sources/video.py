"""MP4 frames for sources that store cameras as video (LeRobot), decoded with PyAV.

PyAV decodes whatever codec the file holds (H.264, HEVC, AV1, ...), whatever info.json declares;
where this PyAV build has no decoder for it, the episode is quarantined naming file and codec.
"""

from __future__ import annotations

import numpy as np

from ecot_annotate.errors import EpisodeError, InputError


def require_video_decoder() -> None:
    try:
        import av  # noqa: F401
    except ImportError as exc:
        raise InputError(
            "this LeRobot dataset stores frames as MP4 videos; decoding them needs PyAV: pip install av (or ecot-annotate[lerobot])"
        ) from exc


def decode_video(
    path: str, start: float, stop: float, fps: float, declared: str | None = None
) -> list[np.ndarray]:
    """RGB frames whose time lies in [start, stop) of one MP4 (a v3 file holds many episodes);
    EpisodeError naming the file and its codec (the file's, else the `declared` one) when they
    cannot be decoded."""
    import av

    half = 0.5 / fps
    frames, codec = [], f"{declared or 'unknown'} codec, as declared"
    try:
        with av.open(path) as container:
            if not container.streams.video:
                raise EpisodeError("decode", f"{path} holds no video stream")
            stream = container.streams.video[0]
            codec = f"{stream.codec_context.name} codec"
            container.seek(
                max(0, int((start - half) / stream.time_base)), stream=stream, backward=True
            )
            for frame in container.decode(stream):
                if frame.time is None or frame.time < start - half:
                    continue
                if frame.time >= stop - half:
                    break
                frames.append(frame.to_ndarray(format="rgb24"))
    except EpisodeError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken video is this episode's fault
        raise EpisodeError(
            "decode", f"cannot decode {path} ({codec}): {type(exc).__name__}: {exc}"
        ) from exc
    return frames


def video_size(path: str) -> tuple[int, int]:
    """(width, height) of a video's first stream, from its header (nothing decoded); (0, 0) for a
    file that cannot be opened (reading its frames will say why)."""
    import av

    try:
        with av.open(path) as container:
            stream = container.streams.video[0]
            return (stream.codec_context.width, stream.codec_context.height)
    except Exception:  # noqa: BLE001 - reading the frames, where they are needed, says why
        return (0, 0)
