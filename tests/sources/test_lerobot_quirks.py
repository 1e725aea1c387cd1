"""LeRobot as people really write it: a v2.1 dataset written from the published v2.1 layout,
with the quirks real datasets bring, reads and annotates as lerobot itself would read it."""

from __future__ import annotations

import shutil

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.support.datasets import decode_all
from tests.support.lerobot_datasets import (
    CAMERA,
    STATE_NAMES,
    edit_info,
    edit_parquet,
    write_lerobot,
)

av = pytest.importorskip("av")


@pytest.fixture(scope="module")
def originals(sample_dir):
    return decode_all(sample_dir, "ecot_sample")[:2]


@pytest.fixture(scope="module")
def quirky_v21(originals, tmp_path_factory):
    """v2.1 with every quirk: other placeholder names in both templates, video metadata under
    `video_info` declaring AV1 for an H.264 file, a CHW image shape, names wrapped in a list,
    state and action under `state`/`actions`, float64 stored for float32 declared, and parquet
    without `index` or `task_index` (the task comes from episodes.jsonl)."""
    root = tmp_path_factory.mktemp("quirks") / "quirky_v21"
    write_lerobot(root, originals, "v2.1", STATE_NAMES)

    def quirks(info: dict) -> None:
        info["data_path"] = "data/chunk-{chunk_index:03d}/episode_{episode_index:06d}.parquet"
        info["video_path"] = (
            "videos/chunk-{chunk_index:03d}/{video_key}/episode_{episode_index:06d}.mp4"
        )
        features = info["features"]
        camera = features[CAMERA]
        height, width, _ = camera["shape"]
        camera.update(shape=[3, height, width], names=["channels", "height", "width"])
        camera["video_info"] = {"video.codec": "av1", "video.fps": 10}
        state = features.pop("observation.state")
        state["names"] = [STATE_NAMES]
        features["state"] = state
        features["actions"] = features.pop("action")
        del features["index"], features["task_index"]

    edit_info(root, quirks)

    def columns(table: pa.Table) -> pa.Table:
        table = table.drop_columns(["index", "task_index"])
        state = pc.cast(table.column("observation.state"), pa.list_(pa.float64()))
        table = table.drop_columns(["observation.state"]).append_column("state", state)
        return table.rename_columns(["actions" if c == "action" else c for c in table.column_names])

    for path in sorted((root / "data").glob("*/*.parquet")):
        edit_parquet(path, columns)
    return root


def test_the_quirky_v21_dataset_reads_through_an_inferred_profile(quirky_v21, originals):
    from ecot_annotate.episode import decode_image
    from ecot_annotate.profiles.resolve import resolve_profile
    from ecot_annotate.sources.lerobot import LeRobotFolder

    folder = LeRobotFolder.open(str(quirky_v21))
    profile = resolve_profile("auto", folder.layout()).profile
    assert profile.state_keys == ("state",) and profile.action_keys == ("actions",)
    assert profile.xyz_indices == (0, 1, 2) and profile.gripper_index == 6
    folder.check(profile)
    reader = folder.reader(profile)
    for ref, original in zip(folder.episodes, originals, strict=True):
        episode = reader.read(ref)
        assert episode.instruction == original.instruction
        assert np.array_equal(episode.state, original.state)
        assert np.array_equal(episode.action, original.action)
        assert episode.n_steps == original.n_steps
        first = decode_image(episode.images[0]).astype(int)
        assert np.abs(first - decode_image(original.images[0]).astype(int)).mean() < 6


def test_the_quirky_v21_dataset_annotates_every_episode(quirky_v21, originals, tmp_path):
    from ecot_annotate.config import AnnotateConfig
    from pipelines.run import run

    summary = run(
        AnnotateConfig(input=str(quirky_v21), out=str(tmp_path / "out"), source="lerobot")
    )
    assert summary["episodes_in"] == summary["episodes_out"] == len(originals)
    assert summary["episodes_quarantined"] == 0


def test_names_as_lerobot_writes_them_read_as_joints():
    from ecot_annotate.profiles.describe import layout_from_names
    from ecot_annotate.profiles.layout import lerobot_layout

    joints = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
    found = layout_from_names([f"{j}.pos" for j in joints])
    assert found.joints_only and not found.xyz and found.gripper == 5
    two = layout_from_names(
        ["left_waist.pos", "left_gripper.pos", "right_waist.pos", "right_gripper.pos"]
    )
    assert two.joints_only and two.gripper == 1
    for names in ({"motors": joints}, [joints]):  # older lerobot's dict, and a wrapped list
        spec = {"dtype": "float32", "shape": [6], "names": names}
        assert lerobot_layout("d", {"observation.state": spec}).steps[
            "observation.state"
        ].names == tuple(joints)
    chw = {"dtype": "video", "shape": [3, 48, 64], "names": ["channels", "height", "width"]}
    assert lerobot_layout("d", {CAMERA: chw}).steps[CAMERA].shape == (48, 64, 3)


def test_lerobot_state_names_infer_a_joint_state_with_its_gripper():
    from ecot_annotate.profiles.infer import infer_profile
    from ecot_annotate.profiles.layout import lerobot_layout

    names = [
        f"{j}.pos"
        for j in (
            "shoulder_pan",
            "shoulder_lift",
            "elbow_flex",
            "wrist_flex",
            "wrist_roll",
            "gripper",
        )
    ]
    vector = {"dtype": "float32", "shape": [6], "names": names}
    features = {
        "observation.state": vector,
        "action": vector,
        CAMERA: {"dtype": "video", "shape": [48, 64, 3]},
    }
    inference = infer_profile(lerobot_layout("so101", features, 30))
    assert inference.profile.state_keys == ("observation.state",)
    profile = inference.profile
    assert profile.motion_from == "joints" and len(profile.arms) == 1
    assert profile.arms[0].kinematics == "so101" and profile.arms[0].gripper_index == 5


def test_an_av1_video_decodes_or_quarantines_naming_file_and_codec(originals, tmp_path):
    """AV1 is decoded with PyAV where this build has a decoder; elsewhere the episode is
    quarantined naming the file and the codec, never a traceback."""
    from ecot_annotate.episode import decode_image
    from ecot_annotate.errors import EpisodeError
    from ecot_annotate.profiles import load_profile
    from ecot_annotate.sources.lerobot import LeRobotFolder

    encoder = next((c for c in ("libsvtav1", "libaom-av1") if c in av.codecs_available), None)
    if encoder is None:
        pytest.skip("this PyAV build has no AV1 encoder to write the test video")
    root = tmp_path / "av1"
    write_lerobot(root, originals[:1], "v2.1", STATE_NAMES)
    path = root / "videos" / "chunk-000" / CAMERA / "episode_000000.mp4"
    frames = [decode_image(image) for image in originals[0].images]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(encoder, rate=10)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    folder = LeRobotFolder.open(str(root))
    reader = folder.reader(load_profile("ecot_sample"))
    decodable = any(c in av.codecs_available for c in ("libdav1d", "av1", "libaom-av1"))
    try:
        episode = reader.read(folder.episodes[0])
    except EpisodeError as exc:
        assert str(path) in exc.reason and "av1" in exc.reason.lower()
        return
    assert decodable and episode.n_steps == originals[0].n_steps
    assert np.abs(decode_image(episode.images[0]).astype(int) - frames[0].astype(int)).mean() < 10


def test_a_copy_with_other_template_placeholders_still_finds_its_files(quirky_v21, tmp_path):
    """file_index and episode_chunk in one template: every spelling lerobot uses is filled."""
    from ecot_annotate.sources.lerobot import LeRobotFolder

    root = tmp_path / "copy"
    shutil.copytree(quirky_v21, root)
    edit_info(
        root,
        lambda i: i.update(
            data_path="data/chunk-{episode_chunk:03d}/episode_{file_index:06d}.parquet"
        ),
    )
    folder = LeRobotFolder.open(str(root))
    assert all(
        ref.data_path.endswith(f"episode_{ref.index:06d}.parquet") for ref in folder.episodes
    )
