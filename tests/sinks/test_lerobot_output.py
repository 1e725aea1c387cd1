"""The LeRobot output keeps what lerobot keeps: robot_type, the names, every camera and its video
files (copied untouched), fps as an integer, stats with lerobot's quantiles, and box answers in
lerobot's answer shape. Read back with our own reader, it gives the input's state, action and
frames.

Before, the output dropped robot_type, the names and the video, re-stored the one camera's frames
as images, wrote fps as a float, had no quantiles, and wrote each box answer as a bare list.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import AnnotatedEpisode, Annotation, Box, StepReasoning
from ecot_annotate.sinks.lerobot import episode_tables
from ecot_annotate.sources.lerobot import LeRobotFolder
from pipelines.run import run
from tests.support.datasets import decode_all
from tests.support.lerobot_datasets import CAMERA, write_lerobot

NAMES = ["x", "y", "z", "roll", "pitch", "yaw", "gripper"]


@pytest.fixture(scope="module")
def sample_episodes(sample_dir):
    return decode_all(sample_dir, "ecot_sample")[:2]


def _read_all(root: Path) -> dict[int, tuple]:
    folder = LeRobotFolder.open(str(root))
    from ecot_annotate.profiles.resolve import resolve_profile

    reader = folder.reader(resolve_profile("auto", folder.layout()).profile)
    return {
        ref.index: (e.state, e.action, list(e.images))  # the video's frames, decoded
        for ref in folder.episodes
        for e in [reader.read(ref)]
    }


@pytest.mark.parametrize("version", ["v3.0", "v2.1"])
def test_lerobot_output_keeps_what_lerobot_keeps(version, sample_episodes, tmp_path):
    pytest.importorskip("av")
    source = write_lerobot(tmp_path / "my_arm", sample_episodes, version, state_names=NAMES)
    out = tmp_path / "out"
    config = AnnotateConfig(input=str(source), out=str(out), formats=("lerobot",), source="lerobot")
    assert run(config)["episodes_out"] == 2
    root = out / "lerobot"
    info = json.loads((root / "meta" / "info.json").read_text())
    assert info["robot_type"] == "widowx"
    assert info["fps"] == 10 and isinstance(info["fps"], int)
    assert info["features"]["observation.state"]["names"] == NAMES
    assert info["features"][CAMERA]["dtype"] == "video"
    videos = sorted(root.glob("videos/**/*.mp4"))
    inputs = sorted(source.glob("videos/**/*.mp4"))
    assert len(videos) == len(inputs)
    assert {v.read_bytes() for v in videos} == {v.read_bytes() for v in inputs}  # untouched
    stats = json.loads((root / "meta" / "stats.json").read_text())
    for q in ("q01", "q10", "q50", "q90", "q99"):
        assert len(stats["action"][q]) == sample_episodes[0].action.shape[1]
    state = np.concatenate([e.state for e in sample_episodes])
    median = np.asarray(stats["observation.state"]["q50"])
    assert np.all(median >= state.min(0) - 1e-6) and np.all(median <= state.max(0) + 1e-6)

    back, before = _read_all(root), _read_all(source)
    assert back.keys() == before.keys()
    for index, (state, action, images) in back.items():
        np.testing.assert_array_equal(state, before[index][0])
        np.testing.assert_array_equal(action, before[index][1])
        assert len(images) == len(before[index][2])
        assert all(np.array_equal(a, b) for a, b in zip(images, before[index][2], strict=True))


def test_an_rlds_input_embeds_its_camera_and_says_its_rate(bridge_dir, tmp_path):
    out = tmp_path / "out"
    run(AnnotateConfig(input=str(bridge_dir), out=str(out), limit=2, formats=("lerobot",)))
    info = json.loads((out / "lerobot" / "meta" / "info.json").read_text())
    assert info["fps"] == 5 and info["video_path"] is None
    assert info["features"]["observation.images.image_0"]["dtype"] == "image"


def test_box_answers_have_lerobots_answer_shape(sample_episodes):
    episode = sample_episodes[0]
    n = episode.n_steps
    step = StepReasoning("pick up the cup", "grasp", "reach", "it is there", "stop", "wait")
    annotation = Annotation(arm_primitives={"arm": ["stop"] * n}, reasoning=[step] * n)
    annotation.bboxes = [[Box("red cup", 0.9, (1.0, 2.0, 10.0, 12.0), track=3)]] * n
    annotated = AnnotatedEpisode(episode, annotation)
    table = next(episode_tables(annotated, CAMERA, embed_images=False))
    assert CAMERA not in table.column_names  # nothing embedded: the video is copied
    events = table.column("language_events")[0].as_py()
    answer = json.loads(
        next(e for e in events if e["role"] == "assistant" and e["style"] == "vqa")["content"]
    )
    assert answer == {
        "detections": [
            {
                "label": "red cup",
                "bbox_format": "xyxy",
                "bbox": [1.0, 2.0, 10.0, 12.0],
                "score": 0.9,
                "track": 3,
            }
        ]
    }
