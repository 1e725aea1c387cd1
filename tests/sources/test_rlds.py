"""RLDS source: keys, profiles, and clear errors for bad input."""

import numpy as np
import pytest

from ecot_annotate.errors import EpisodeError, InputError
from ecot_annotate.profiles import load_profile
from ecot_annotate.profiles.validate import ProfileError
from ecot_annotate.sources.rlds import EpisodeDecoder, RldsDataset, read_shard
from tests.support.datasets import decode_all, write_rlds


def test_bridge_episodes_keyed_like_ecot(bridge_dir):
    episodes = decode_all(bridge_dir, "bridge")
    assert len(episodes) == 25
    ep = episodes[0]
    assert ep.key == f"{ep.file_path}_{ep.episode_id}"
    assert ep.file_path.endswith("out.npy") and ep.episode_id.isdigit()
    assert ep.n_steps == 10 and ep.state.shape == (10, 7) and ep.action.shape == (10, 7)
    assert ep.images[0][:2] == b"\xff\xd8"  # JPEG bytes kept as stored, not decoded
    assert ep.image_size == (64, 64)
    assert np.array_equal(ep.arms[0].xyz, ep.state[:, :3])
    assert ep.instruction and ep.is_first[0]  # (the sample was cut to 10 steps: no is_last)
    assert len({e.key for e in episodes}) == 25


def test_key_falls_back_to_dataset_split_shard_and_position(tmp_path, make_episodes):
    episodes = make_episodes(2)
    for ep in episodes:
        ep["episode_metadata"]["file_path"] = ""
    root = write_rlds(tmp_path, episodes)
    decoded = decode_all(root, "ecot_sample")
    shard = "ecot_sample-train.tfrecord-00000-of-00001"
    assert [e.key for e in decoded] == [
        f"ecot_sample/train/{shard}:0",
        f"ecot_sample/train/{shard}:1",
    ]
    assert all(e.file_path is None and e.episode_id is None for e in decoded)


def test_not_a_tfds_folder(tmp_path):
    with pytest.raises(InputError, match="not a TFDS dataset folder"):
        RldsDataset.open(str(tmp_path))


def test_missing_split(bridge_dir):
    with pytest.raises(InputError, match="no split 'test'"):
        RldsDataset.open(str(bridge_dir), "test")


def test_profile_key_that_does_not_exist(bridge_dir, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\nimage_key = "observation/wrist_image"\n')
    with pytest.raises(ProfileError) as info:
        RldsDataset.open(str(bridge_dir)).check(load_profile(str(path)))
    message = str(info.value)
    assert (
        "observation/wrist_image" in message
        and "'mine'" in message
        and "observation/image_0" in message
    )


def test_profile_file_with_unknown_field(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"name": "bad", "camera": "x"}')
    with pytest.raises(InputError, match="unknown keys"):
        load_profile(str(path))


def test_zero_steps_and_nan_state_are_episode_errors(tmp_path, make_episodes):
    good, empty, nan = make_episodes(3)
    empty["steps"] = []
    nan["steps"][4]["observation"]["state"] = np.full(7, np.nan, np.float32)
    root = write_rlds(tmp_path, [good, empty, nan])
    dataset = RldsDataset.open(str(root))
    decoder = EpisodeDecoder(dataset, load_profile("ecot_sample"))
    records = list(read_shard(dataset.shards[0]))
    assert decoder.decode(records[0][1], dataset.shards[0], 0).n_steps > 0
    with pytest.raises(EpisodeError, match="zero steps"):
        decoder.decode(records[1][1], dataset.shards[0], 1)
    with pytest.raises(EpisodeError, match="non-finite value.*step 4"):
        decoder.decode(records[2][1], dataset.shards[0], 2)


def test_camera_none_reads_rlds_steps_without_frames(sample_dir):
    from dataclasses import replace

    dataset = RldsDataset.open(str(sample_dir))
    profile = load_profile("ecot_sample")
    shard = dataset.shards[0]
    _, data, _ = next(read_shard(shard))
    with_frames = EpisodeDecoder(dataset, profile).decode(data, shard, 0)
    without = EpisodeDecoder(dataset, replace(profile, image_key=None)).decode(data, shard, 0)
    assert without.images == [] and without.image_size == (0, 0)
    assert without.n_steps == with_frames.n_steps and np.array_equal(
        without.state, with_frames.state
    )
