"""LeRobot in and out: a v3.0 dataset with a real MP4 (encoded here with PyAV) is annotated into LeRobot's layout."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from ecot_annotate.episode import decode_image
from ecot_annotate.layouts.lerobot import validate
from tests.support.datasets import decode_all
from tests.support.lerobot_datasets import CAMERA, FPS, write_lerobot

av = pytest.importorskip("av")


@pytest.fixture(scope="module")
def lerobot_input(sample_dir, tmp_path_factory):
    episodes = decode_all(sample_dir, "ecot_sample")
    root = tmp_path_factory.mktemp("lerobot_in") / "ecot_sample_lerobot"
    write_lerobot(root, episodes, "v3.0")
    return root, episodes


def test_lerobot_source_decodes_the_video_frames(lerobot_input):
    from ecot_annotate.profiles import load_profile
    from ecot_annotate.sources.lerobot import LeRobotDecoder, LeRobotFolder

    root, originals = lerobot_input
    folder = LeRobotFolder.open(str(root))
    assert folder.num_episodes == len(originals)
    decoder = LeRobotDecoder(folder, load_profile("ecot_sample"))
    for ref, original in zip(folder.episodes, originals, strict=True):
        episode = decoder.decode(ref)
        assert episode.key == f"ecot_sample_lerobot/train/{ref.index}"
        assert episode.n_steps == original.n_steps and episode.instruction == original.instruction
        assert np.array_equal(episode.state, original.state) and np.array_equal(
            episode.action, original.action
        )
        for mine, theirs in zip(
            episode.images, original.images, strict=True
        ):  # lossy video: the right frame, not bit-equal
            assert (
                np.abs(decode_image(mine).astype(int) - decode_image(theirs).astype(int)).mean() < 6
            )


def test_annotate_lerobot_into_lerobot_layout(lerobot_input, tmp_path):
    from ecot_annotate.config import AnnotateConfig
    from pipelines.run import run

    root, originals = lerobot_input
    out = tmp_path / "out"
    config = AnnotateConfig(
        input=str(root),
        out=str(out),
        source="lerobot",
        profile="ecot_sample",
        formats=("lerobot", "parquet"),
    )
    summary = run(config)
    assert summary["episodes_in"] == summary["episodes_out"] == len(originals)

    info = validate(
        out / "lerobot"
    )  # layout, counts, contiguous index, language column types and camera rule
    assert info["total_frames"] == sum(ep.n_steps for ep in originals) and info["fps"] == FPS
    episodes = pq.read_table(out / "lerobot" / "meta" / "episodes").to_pylist()
    steps = pq.read_table(
        out / "parquet", columns=["episode_key", "step", "primitive", "subtask", "plan", "chain"]
    ).to_pylist()
    by_step = {(r["episode_key"], r["step"]): r for r in steps}
    for meta in episodes:
        data = pq.read_table(
            out / "lerobot" / "data" / "chunk-000" / f"file-{meta['episode_index']:03d}.parquet"
        ).to_pylist()
        source_index = int(meta["ecot.episode_key"].rsplit("/", 1)[-1])
        assert len(data) == meta["length"] == originals[source_index].n_steps
        for t, frame in enumerate(data):
            expected = by_step[(meta["ecot.episode_key"], t)]
            assert frame["ecot.chain"] == expected["chain"]
            active = {}
            for row in frame["language_persistent"]:  # the rows in force at this frame's time
                if row["timestamp"] <= frame["timestamp"] + 1e-6:
                    active[row["style"]] = row["content"]
            assert active == {
                "plan": expected["plan"],
                "subtask": expected["subtask"],
                "motion": expected["primitive"],
            }
            assert CAMERA not in frame  # frames travel as the input's video, copied untouched
        assert (out / "lerobot" / "videos" / CAMERA).is_dir()


def test_missing_video_decoder_is_one_clear_error(lerobot_input, monkeypatch):
    import sys

    from ecot_annotate.errors import InputError
    from ecot_annotate.sources.lerobot import LeRobotFolder

    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(InputError, match="PyAV"):
        LeRobotFolder.open(str(lerobot_input[0]))
