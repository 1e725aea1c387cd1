"""A LeRobot video input through the whole pipeline: by default Parquet keeps references into the
video and no frame is decoded; every reader of the run (train, report) decodes them; with
`--parquet-frames jpeg` each frame is decoded once and stored as JPEG; `--dry-run` opens no video."""

from __future__ import annotations

import io
import json

import numpy as np
import pyarrow.dataset as pads
import pytest
from PIL import Image

from ecot_annotate.config import PARQUET_JPEG, AnnotateConfig
from ecot_annotate.profiles import load_profile
from ecot_annotate.sources.lerobot import LeRobotFolder
from ecot_annotate.store.frames import RowFrames
from ecot_annotate.train.data import Shards
from pipelines.run import run
from tests.support.datasets import decode_all
from tests.support.lerobot_datasets import write_lerobot

av = pytest.importorskip("av")


@pytest.fixture(scope="module")
def video_input(sample_dir, tmp_path_factory):
    episodes = decode_all(sample_dir, "ecot_sample")[:3]
    root = tmp_path_factory.mktemp("video") / "video_v30"
    write_lerobot(root, episodes, "v3.0")
    folder = LeRobotFolder.open(str(root))
    reader = folder.reader(load_profile("ecot_sample"))
    frames = {reader.decoder.key(ref): list(reader.read(ref).images) for ref in folder.episodes}
    return root, frames


def _config(root, out, **settings) -> AnnotateConfig:
    return AnnotateConfig(input=str(root), out=str(out), source="lerobot", **settings)


def test_parquet_keeps_references_and_every_reader_decodes_them(video_input, tmp_path):
    root, frames = video_input
    summary = run(_config(root, tmp_path / "out", profile="ecot_sample"))
    assert summary["episodes_out"] == 3
    assert "decode" not in summary["stage_seconds"], "no frame decoded for Parquet"
    table = pads.dataset(str(tmp_path / "out" / "parquet"), format="parquet").to_table()
    assert {"image_video", "image_time"} <= set(table.schema.names)
    assert set(table.column("image").to_pylist()) == {b""}
    reader = RowFrames()
    rows = list(Shards(tmp_path / "out").rows())
    for row in rows:
        decoded = reader.frame(row)
        assert np.array_equal(decoded, frames[row["episode_key"]][row["step"]])
    assert len(rows) == sum(len(f) for f in frames.values())


def test_jpeg_frames_are_decoded_once_and_stored_as_jpeg(video_input, tmp_path):
    root, frames = video_input
    config = _config(root, tmp_path / "out", profile="ecot_sample", parquet_frames=PARQUET_JPEG)
    summary = run(config)
    decoded = summary["stage_seconds"]["decode"]
    assert decoded["count"] == 3 and decoded["total_s"] > 0  # one pass over each episode's video
    table = pads.dataset(str(tmp_path / "out" / "parquet"), format="parquet").to_table()
    assert "image_video" not in table.schema.names
    for row in table.to_pylist()[:20]:
        with Image.open(io.BytesIO(row["image"])) as image:
            assert image.format == "JPEG"
            pixels = np.asarray(image.convert("RGB")).astype(int)
        original = frames[row["episode_key"]][row["step"]].astype(int)
        assert np.abs(pixels - original).mean() < 6


def test_dry_run_and_calibration_open_no_video(video_input, tmp_path, monkeypatch):
    from ecot_annotate.estimate import dry_run

    root, _ = video_input

    def refuse(*args, **kwargs):
        raise AssertionError("a video was opened")

    monkeypatch.setattr(av, "open", refuse)
    result, motion = dry_run(_config(root, tmp_path / "out", profile="ecot_sample"))
    assert result.episodes == 3 and motion["calibration"] is not None
    summary = run(_config(root, tmp_path / "out", profile="ecot_sample", formats=("ecot-json",)))
    assert summary["episodes_out"] == 3
    entries = json.loads((tmp_path / "out" / "ecot" / "reasonings.json").read_text())
    sizes = {e["features"]["image_size"][0] for eps in entries.values() for e in eps.values()}
    assert sizes == {256}  # as info.json declares it, no video opened
