"""Frames a Parquet refers to are read in any order, each the same pixels a straight decode of
the video gives: shuffled (the trainer), in step order (a report), across a reopen of the file."""

from __future__ import annotations

import numpy as np
import pytest

from ecot_annotate.errors import EpisodeError
from ecot_annotate.sources import video_reader
from ecot_annotate.sources.video_reader import FrameReader

av = pytest.importorskip("av")
FPS = 10


def _video(path, codec: str, options: dict, frames: int = 40) -> list[tuple[float, np.ndarray]]:
    """A video of `frames` distinct frames; (time, pixels) of each as a plain decode gives them."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=FPS, options=options)
        stream.height, stream.width, stream.pix_fmt = 48, 64, "yuv420p"
        for i in range(frames):
            pixels = np.clip(rng.normal(120, 40, (48, 64, 3)) + 3 * i, 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with av.open(str(path)) as container:
        return [(f.time, f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]


ENCODERS = {
    "h264 with B-frames, long GOP": ("libx264", {"bf": "3", "g": "12"}),
    "av1, a keyframe every 2 frames": ("libsvtav1", {"g": "2", "preset": "12"}),
}


@pytest.mark.parametrize("name", list(ENCODERS))
def test_frames_in_any_order_are_the_decoded_frames(name, tmp_path, monkeypatch):
    codec, options = ENCODERS[name]
    if codec not in av.codecs_available:
        pytest.skip(f"this PyAV build has no {codec} encoder")
    path = tmp_path / "v.mp4"
    frames = _video(path, codec, options)
    order = np.random.default_rng(1).permutation(len(frames)).tolist()
    monkeypatch.setattr(video_reader, "KEEP", 16)  # jumps back past the packets kept reopen
    reader = FrameReader()
    for i in [*order, *range(len(frames)), *reversed(range(len(frames)))]:
        t, pixels = frames[i]
        assert np.array_equal(reader.at(str(path), t), pixels), (name, i)
    with pytest.raises(EpisodeError, match="has no frame at 99.0000 s"):
        reader.at(str(path), 99.0)
    reader.close()
