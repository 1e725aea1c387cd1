"""A LeRobot video is read only as far as a run needs it: no frame for calibration or an output
that keeps none, every n-th frame for a step that looks at every n-th, each frame by its timestamp
(a video may hold more frames than the episode has rows), never re-encoded."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from ecot_annotate.errors import EpisodeError
from ecot_annotate.frames import EVERY_FRAME, NOTHING, PIXELS, FrameRequest, every
from ecot_annotate.profiles import load_profile
from ecot_annotate.sources.lerobot import LeRobotFolder
from tests.support.datasets import decode_all
from tests.support.lerobot_datasets import CAMERA, FPS, edit_parquet, write_lerobot

av = pytest.importorskip("av")


@pytest.fixture(scope="module")
def lerobot_v21(sample_dir, tmp_path_factory):
    episodes = decode_all(sample_dir, "ecot_sample")[:2]
    root = tmp_path_factory.mktemp("frames") / "frames_v21"
    return write_lerobot(root, episodes, "v2.1"), episodes


def _reader(root, frames: FrameRequest):
    counts: dict[str, int] = {}

    def count(name: str, value: int = 1) -> None:
        counts[name] = counts.get(name, 0) + value

    folder = LeRobotFolder.open(str(root))
    return folder, folder.reader(load_profile("ecot_sample"), frames, count), counts


def test_a_run_that_reads_no_frame_opens_no_video(lerobot_v21, monkeypatch):
    root, originals = lerobot_v21
    folder, reader, _ = _reader(root, NOTHING)

    def refuse(*args, **kwargs):
        raise AssertionError("a video was opened")

    monkeypatch.setattr(av, "open", refuse)
    episode = reader.read(folder.episodes[0])
    assert episode.images == [] and episode.video is None
    assert episode.n_steps == originals[0].n_steps
    assert episode.image_size == originals[0].image_size  # as info.json declares it


def test_an_output_that_stores_frames_gets_references_and_nothing_is_decoded(lerobot_v21):
    root, originals = lerobot_v21
    folder, reader, counts = _reader(root, FrameRequest(stored=EVERY_FRAME))
    episode = reader.read(folder.episodes[1])
    assert episode.images == [] and "frames_decoded" not in counts
    assert episode.video.path.endswith("episode_000001.mp4")
    assert np.allclose(episode.video.times, np.arange(originals[1].n_steps) / FPS)


def test_every_nth_frame_decodes_every_nth(lerobot_v21):
    root, originals = lerobot_v21
    folder, reader, counts = _reader(root, FrameRequest(pixels=every(5)))
    episode = reader.read(folder.episodes[0])
    frames = list(episode.images)
    wanted = list(range(0, originals[0].n_steps, 5))
    assert [t for t, f in enumerate(frames) if f is not None] == wanted
    assert counts["frames_decoded"] == len(wanted) and counts["us_decode"] > 0
    _, everything, _ = _reader(root, PIXELS)
    full = list(everything.read(folder.episodes[0]).images)
    assert all(np.array_equal(frames[t], full[t]) for t in wanted)
    assert episode.images[5] is not None and np.array_equal(episode.images[5], full[5])


def _double_rate(path, frames: list[np.ndarray]) -> None:
    """Rewrite one episode's video at twice the rate: each row's frame, then an extra one."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=2 * FPS, options={"crf": "18"})
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for i, image in enumerate(frames):
            for j, pixels in enumerate((image, 255 - image)):
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = 2 * i + j
                container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def test_a_video_with_more_frames_than_rows_is_read_by_timestamp(lerobot_v21, tmp_path):
    root, _ = lerobot_v21
    copy = shutil.copytree(root, tmp_path / "double")
    folder, reader, _ = _reader(copy, PIXELS)
    frames = list(reader.read(folder.episodes[0]).images)
    _double_rate(copy / "videos" / "chunk-000" / CAMERA / "episode_000000.mp4", frames)
    folder, reader, _ = _reader(copy, PIXELS)
    again = list(reader.read(folder.episodes[0]).images)
    assert len(again) == len(frames)  # 2x the frames in the file, one per row
    assert all(
        np.abs(a.astype(int) - b.astype(int)).mean() < 6 for a, b in zip(again, frames, strict=True)
    )


def test_rows_whose_time_has_no_frame_set_the_episode_aside_and_say_camera_none(
    lerobot_v21, tmp_path
):
    import pyarrow as pa

    root, _ = lerobot_v21
    copy = shutil.copytree(root, tmp_path / "shifted")
    data = copy / "data" / "chunk-000" / "episode_000000.parquet"

    def shift(table: pa.Table) -> pa.Table:
        times = pa.array(
            [t + 0.5 / FPS for t in table.column("timestamp").to_pylist()], pa.float32()
        )
        return table.set_column(table.schema.get_field_index("timestamp"), "timestamp", times)

    edit_parquet(data, shift)
    folder, reader, _ = _reader(copy, PIXELS)
    with pytest.raises(EpisodeError, match="no frame of .* within 0.0001 s") as caught:
        reader.read(folder.episodes[0])
    assert "--camera none" in caught.value.reason
    folder, reader, _ = _reader(copy, NOTHING)
    assert reader.read(folder.episodes[0]).n_steps > 0  # from state, no frame needed
