"""LeRobot in and out: a v3.0 dataset with a real MP4 (encoded here with PyAV) is annotated into LeRobot's layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecot_annotate.episode import decode_image
from ecot_annotate.layouts.lerobot import tasks_table, validate
from tests.support.datasets import decode_all

av = pytest.importorskip("av")
FPS = 10
CAMERA = "observation.images.image_0"


def write_lerobot_v3(root: Path, episodes) -> None:
    """The sample as LeRobot v3.0 writes it: one data file, one MP4 holding every episode back to back."""
    video = root / "videos" / CAMERA / "chunk-000" / "file-000.mp4"
    video.parent.mkdir(parents=True)
    width, height = episodes[0].image_size
    container = av.open(str(video), "w")
    stream = container.add_stream("libx264", rate=FPS, options={"crf": "18"})
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    tasks = sorted({ep.instruction for ep in episodes})
    rows, meta, index = [], [], 0
    for e, ep in enumerate(episodes):
        start = index / FPS
        for t, image in enumerate(ep.images):
            frame = av.VideoFrame.from_ndarray(decode_image(image), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
            rows.append(
                {
                    "observation.state": ep.state[t].tolist(),
                    "action": ep.action[t].tolist(),
                    "timestamp": t / FPS,
                    "frame_index": t,
                    "episode_index": e,
                    "index": index,
                    "task_index": tasks.index(ep.instruction),
                }
            )
            index += 1
        meta.append(
            {
                "episode_index": e,
                "tasks": [ep.instruction],
                "length": ep.n_steps,
                "data/chunk_index": 0,
                "data/file_index": 0,
                "dataset_from_index": index - ep.n_steps,
                "dataset_to_index": index,
                f"videos/{CAMERA}/chunk_index": 0,
                f"videos/{CAMERA}/file_index": 0,
                f"videos/{CAMERA}/from_timestamp": start,
                f"videos/{CAMERA}/to_timestamp": index / FPS,
                "meta/episodes/chunk_index": 0,
                "meta/episodes/file_index": 0,
            }
        )
    container.mux(stream.encode(None))
    container.close()
    schema = pa.schema(
        [
            ("observation.state", pa.list_(pa.float32())),
            ("action", pa.list_(pa.float32())),
            ("timestamp", pa.float32()),
            ("frame_index", pa.int64()),
            ("episode_index", pa.int64()),
            ("index", pa.int64()),
            ("task_index", pa.int64()),
        ]
    )
    for folder, table in (
        ("data", pa.Table.from_pylist(rows, schema)),
        ("meta/episodes", pa.Table.from_pylist(meta)),
    ):
        (root / folder / "chunk-000").mkdir(parents=True)
        pq.write_table(table, root / folder / "chunk-000" / "file-000.parquet")
    pq.write_table(tasks_table(tasks), root / "meta" / "tasks.parquet")
    scalar = {"shape": [1], "names": None}
    info = {
        "codebase_version": "v3.0",
        "robot_type": "widowx",
        "total_episodes": len(episodes),
        "total_frames": index,
        "total_tasks": len(tasks),
        "chunks_size": 1000,
        "fps": FPS,
        "splits": {"train": f"0:{len(episodes)}"},
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4",
        "features": {
            CAMERA: {
                "dtype": "video",
                "shape": [height, width, 3],
                "names": ["height", "width", "channels"],
            },
            "observation.state": {"dtype": "float32", "shape": [7], "names": None},
            "action": {"dtype": "float32", "shape": [7], "names": None},
            "timestamp": {"dtype": "float32", **scalar},
            "frame_index": {"dtype": "int64", **scalar},
            "episode_index": {"dtype": "int64", **scalar},
            "index": {"dtype": "int64", **scalar},
            "task_index": {"dtype": "int64", **scalar},
        },
    }
    (root / "meta" / "info.json").write_text(json.dumps(info, indent=2))


@pytest.fixture(scope="module")
def lerobot_input(sample_dir, tmp_path_factory):
    episodes = decode_all(sample_dir, "ecot_sample")
    root = tmp_path_factory.mktemp("lerobot_in") / "ecot_sample_lerobot"
    write_lerobot_v3(root, episodes)
    return root, episodes


def test_lerobot_source_decodes_the_video_frames(lerobot_input):
    from ecot_annotate.profiles import load_profile
    from ecot_annotate.sources.lerobot import LeRobotDecoder, open_lerobot

    root, originals = lerobot_input
    folder = open_lerobot(str(root))
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
            assert frame[CAMERA]["bytes"]  # frames travel with the dataset


def test_missing_video_decoder_is_one_clear_error(lerobot_input, monkeypatch):
    import sys

    from ecot_annotate.errors import InputError
    from ecot_annotate.sources.lerobot import open_lerobot

    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(InputError, match="PyAV"):
        open_lerobot(str(lerobot_input[0]))
