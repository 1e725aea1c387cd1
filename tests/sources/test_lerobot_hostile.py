# Long file: one test per hostile dataset, sharing the fixtures that write and copy them.
"""Hostile LeRobot datasets: each gives one line before any work (InputError) or a quarantine
entry with its reason, never a traceback and never a silent annotation. Each is made here from a
valid tiny dataset, and where it matters from a copy of the real SO-101 dataset in ../shared."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow as pa
import pytest

from ecot_annotate.errors import EpisodeError, InputError
from tests.support.datasets import decode_all
from tests.support.lerobot_datasets import (
    CAMERA,
    FPS,
    SO101,
    STATE_NAMES,
    edit_info,
    edit_parquet,
    write_lerobot,
)

av = pytest.importorskip("av")
DATA = "data/chunk-000/file-000.parquet"


@pytest.fixture(scope="module")
def originals(sample_dir):
    return decode_all(sample_dir, "ecot_sample")[:2]


@pytest.fixture(scope="module")
def valid(originals, tmp_path_factory):
    """A valid v3.0 dataset (one data file, one MP4) and a valid v2.1 one (one of each per episode)."""
    base = tmp_path_factory.mktemp("valid")
    return {
        version: write_lerobot(base / version, originals, version, STATE_NAMES)
        for version in ("v3.0", "v2.1")
    }


@pytest.fixture
def copy(valid, tmp_path):
    def make(version: str = "v3.0"):
        root = tmp_path / f"hostile_{version}"
        shutil.copytree(valid[version], root)
        return root

    return make


@pytest.fixture
def so101(tmp_path):
    """A copy of the real SO-101 dataset (v3.0, videos not shipped) to damage."""
    if not (SO101 / "meta" / "info.json").is_file():
        pytest.skip(f"../shared SO-101 dataset not found at {SO101}")
    root = tmp_path / "lerobot_so101"
    shutil.copytree(SO101, root)
    return root


def _open(root):
    from ecot_annotate.sources.lerobot import LeRobotFolder

    return LeRobotFolder.open(str(root))


def _sample_profile():
    from ecot_annotate.profiles import load_profile

    return load_profile("ecot_sample")


def _joint_profile(tmp_path):
    """A profile file for the SO-101 joints: the reader needs one; what the motion means is
    another matter (the first three joints stand in for a track)."""
    path = tmp_path / "so101.toml"
    path.write_text(
        'name = "so101"\nimage_key = "observation.images.front"\nstate_keys = ["observation.state"]\n'
        'action_keys = ["action"]\nxyz_indices = [0, 1, 2]\nrotation = "none"\nrotation_indices = []\n'
        "gripper_index = 5\n"
    )
    return str(path)


def _run(root, out, announce=None, **settings):
    from ecot_annotate.config import AnnotateConfig
    from pipelines.run import run

    config = AnnotateConfig(input=str(root), out=str(out), source="lerobot", **settings)
    return run(config, announce=announce)


@pytest.mark.parametrize("column", ["action", "observation.state"])
def test_a_data_file_without_a_needed_column_is_one_line_before_any_work(copy, column):
    root = copy()
    edit_parquet(root / DATA, lambda t: t.drop_columns([column]))
    folder = _open(root)
    with pytest.raises(InputError, match=rf"file-000\.parquet has no column '{column}'"):
        folder.check(_sample_profile())


def test_state_stored_as_text_quarantines_its_episode_naming_the_field(copy):
    root = copy()

    def as_text(table: pa.Table) -> pa.Table:
        rows = table.column("observation.state").to_pylist()
        text = pa.array([[str(v) for v in row] for row in rows], pa.list_(pa.string()))
        at = table.schema.get_field_index("observation.state")
        return table.set_column(at, "observation.state", text)

    edit_parquet(root / DATA, as_text)
    folder = _open(root)
    reader = folder.reader(_sample_profile())
    for ref in folder.episodes:
        with pytest.raises(EpisodeError, match="'observation.state'.*not numbers"):
            reader.read(ref)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{ this is not json", r"info\.json is not valid JSON"),
        ("[1, 2, 3]", r"info\.json holds a list"),
        (
            '{"fps": 10, "data_path": "x", "features": [["observation.state", 7]]}',
            "'features' must map",
        ),
    ],
)
def test_a_broken_info_json_is_one_line_naming_it(copy, text, match):
    root = copy()
    (root / "meta" / "info.json").write_text(text)
    with pytest.raises(InputError, match=match):
        _open(root)


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("splits", 3.5, "'splits' is 3.5, not a mapping"),
        ("total_episodes", "eight", "'total_episodes' is 'eight', not a whole number"),
        ("data_path", 7, "'data_path' is 7, not a path template"),
        ("video_path", "videos/{camera}.mp4", r"names \['camera'\]; known placeholders"),
    ],
)
def test_odd_info_values_are_one_line_naming_the_key(copy, key, value, match):
    root = copy()
    edit_info(root, lambda info: info.update({key: value}))
    with pytest.raises(InputError, match=match):
        _open(root)


@pytest.mark.parametrize("fps", [0, -5, "fast", None])
def test_an_fps_that_is_no_rate_is_read_from_the_timestamps(copy, originals, tmp_path, fps):
    """Before: `fps: 0` died with `ZeroDivisionError: float division by zero` (issue 26)."""
    root = copy()
    edit_info(root, lambda info: info.update(fps=fps) if fps is not None else info.pop("fps"))
    folder = _open(root)
    assert folder.fps == FPS
    (said,) = [n for n in folder.notes if n.subject == "fps"]
    assert f"{FPS:g} frames per second from the timestamps of {DATA}" in said.line()
    assert "set fps in meta/info.json" in said.line()
    lines: list[str] = []
    summary = _run(root, tmp_path / "out", profile="ecot_sample", announce=lines.append)
    assert summary["episodes_out"] == len(originals)
    assert "timestamps" in "\n".join(lines)


def test_an_fps_of_zero_without_timestamps_is_one_line_naming_the_field(copy):
    root = copy()
    edit_info(root, lambda info: info.update(fps=0))
    edit_parquet(root / DATA, lambda t: t.drop_columns(["timestamp"]))
    with pytest.raises(InputError, match="gives 0 for 'fps'.*set fps"):
        _open(root)


def test_features_as_a_list_is_one_line(copy):
    root = copy()
    edit_info(root, lambda info: info.update(features=list(info["features"])))
    with pytest.raises(InputError, match="'features' must map each feature name"):
        _open(root)


def test_without_tasks_parquet_the_episode_index_gives_each_task(copy, originals):
    root = copy()
    (root / "meta" / "tasks.parquet").unlink()
    folder = _open(root)
    reader = folder.reader(_sample_profile())
    assert [reader.read(r).instruction for r in folder.episodes] == [
        o.instruction for o in originals
    ]


def test_without_any_task_list_it_is_one_line(copy):
    root = copy()
    (root / "meta" / "tasks.parquet").unlink()
    path = next((root / "meta" / "episodes").glob("*/*.parquet"))
    edit_parquet(path, lambda t: t.drop_columns(["tasks"]))
    with pytest.raises(InputError, match=r"tasks\.parquet is missing"):
        _open(root)


def _scribble(path, count: int = 500, seed: int = 0) -> None:
    """`count` random bytes written over the middle of a file, as a failing disk would."""
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(seed)
    at = len(data) // 3
    data[at : at + count] = rng.integers(0, 256, count, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


def test_random_bytes_in_a_data_file_are_never_annotated(copy, tmp_path):
    root = copy()
    _scribble(root / DATA)
    summary = _run(root, tmp_path / "out", profile="ecot_sample")
    assert summary["episodes_in"] == 2 and summary["episodes_out"] == 0
    assert summary["episodes_quarantined"] == 2
    assert all("file-000.parquet" in r or "step" in r for r in summary["quarantine_reasons"])


def test_random_bytes_in_the_real_so101_data_are_never_annotated(so101, tmp_path):
    """Each episode either reads exactly as before the damage or is quarantined naming the file
    or the step and field; the damage reaches at least one."""
    from ecot_annotate.profiles.resolve import resolve_profile

    profile_file = _joint_profile(tmp_path)

    def read_all(root) -> list:
        folder = _open(root)
        profile = resolve_profile(profile_file, folder.layout()).profile  # no videos: no camera
        reader = folder.reader(profile)
        found = []
        for ref in folder.episodes:
            try:
                found.append(reader.read(ref).state)
            except EpisodeError as exc:
                found.append(exc.reason)
        return found

    before = read_all(so101)
    _scribble(so101 / DATA)
    after = read_all(so101)
    assert all(not isinstance(b, str) for b in before)
    damaged = [a for a in after if isinstance(a, str)]
    assert damaged and all("file-000.parquet" in a or " at step " in a for a in damaged)
    for a, b in zip(after, before, strict=True):
        assert isinstance(a, str) or np.array_equal(a, b)


def test_episodes_declared_but_not_indexed_are_quarantined_by_index(copy, tmp_path):
    root = copy()
    edit_info(root, lambda info: info.update(total_episodes=4, splits={"train": "0:4"}))
    summary = _run(root, tmp_path / "out", profile="ecot_sample")
    assert summary["episodes_in"] == 4 and summary["episodes_out"] == 2
    assert summary["episodes_quarantined"] == 2
    quarantine = [
        json.loads(line)
        for path in (tmp_path / "out" / "quarantine").glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert sorted(q["key"] for q in quarantine) == [f"{root.name}/train/2", f"{root.name}/train/3"]
    assert all("total_episodes 4" in q["error"] for q in quarantine)


def test_the_real_so101_counts_its_declared_episodes(so101):
    edit_info(so101, lambda info: info.update(total_episodes=6, splits={"train": "0:6"}))
    folder = _open(so101)
    assert folder.num_episodes == 6
    missing = [e for e in folder.episodes if not hasattr(e, "data_path")]
    assert [m.where for m in missing] == ["lerobot_so101/train/4", "lerobot_so101/train/5"]


def test_an_episode_whose_own_video_is_missing_is_quarantined_naming_it(copy):
    root = copy("v2.1")
    gone = root / "videos" / "chunk-000" / CAMERA / "episode_000001.mp4"
    gone.unlink()
    folder = _open(root)
    reader = folder.reader(_sample_profile())
    assert reader.read(folder.episodes[0]).n_steps
    with pytest.raises(EpisodeError, match=rf"video file {gone} is missing"):
        reader.read(folder.episodes[1])


def test_an_undecodable_video_is_quarantined_naming_it(copy):
    root = copy("v2.1")
    broken = root / "videos" / "chunk-000" / CAMERA / "episode_000000.mp4"
    broken.write_bytes(b"\x00" * 64 + b"not a video" * 100)
    folder = _open(root)
    with pytest.raises(EpisodeError, match=rf"cannot decode {broken}"):
        folder.reader(_sample_profile()).read(folder.episodes[0])


def test_videos_declared_but_not_shipped_are_annotated_from_state_alone(copy, originals, tmp_path):
    import pyarrow.parquet as pq

    root = copy()
    shutil.rmtree(root / "videos")
    lines: list[str] = []
    summary = _run(root, tmp_path / "out", announce=lines.append)
    assert summary["episodes_in"] == summary["episodes_out"] == len(originals)
    block = "\n".join(lines)
    assert f"camera: none: not one video file of {CAMERA} ships with the data" in block
    assert "camera       none: annotated from the state alone" in block
    steps = pq.read_table(tmp_path / "out" / "parquet", columns=["step", "image", "primitive"])
    assert steps.num_rows == sum(o.n_steps for o in originals)
    assert set(steps.column("image").to_pylist()) == {b""}


def test_camera_none_reads_no_frames_and_skips_perception(copy, originals, tmp_path):
    from dataclasses import replace

    from ecot_annotate.config import AnnotateConfig, PerceptionConfig
    from ecot_annotate.profiles.resolve import resolve_profile
    from ecot_annotate.run_plan import without_frames

    folder = _open(copy())
    chosen = resolve_profile("ecot_sample", folder.layout(), "none")
    profile, how = chosen.profile, chosen.how
    assert profile.image_key is None and "--camera none" in how.describe()
    episode = folder.reader(profile).read(folder.episodes[0])
    assert episode.images == [] and episode.image_size == (0, 0)
    assert episode.n_steps == originals[0].n_steps
    config = AnnotateConfig(input="x", out="y", perception=PerceptionConfig(detector="owlv2"))
    frameless, line = without_frames(config)
    assert frameless.perception == replace(config.perception, detector="none")
    assert line == "no camera: the detector is skipped (it needs frames)"


def test_the_real_so101_without_videos_reads_from_state_alone(so101, tmp_path):
    from ecot_annotate.profiles.resolve import resolve_profile

    folder = _open(so101)
    assert folder.layout().no_frames
    chosen = resolve_profile(_joint_profile(tmp_path), folder.layout())
    profile, how = chosen.profile, chosen.how
    assert profile.image_key is None
    assert any("ships with the data" in d.line() for d in how.decisions)
    folder.check(profile)
    reader = folder.reader(profile)
    lengths = [reader.read(ref).n_steps for ref in folder.episodes]
    assert lengths == [ref.length for ref in folder.episodes] and sum(lengths) == 1492
