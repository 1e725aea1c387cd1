"""The generated sample: deterministic, Bridge-shaped, and its ground truth is self-consistent."""

import numpy as np
import tensorflow_datasets as tfds

from ecot_annotate.profiles import load_profile
from ecot_annotate.sample.generate import write_sample
from ecot_annotate.sources.rlds import EpisodeDecoder, RldsDataset, read_shard


def test_loads_with_tfds_and_matches_bridge_layout(sample_dir):
    builder = tfds.builder_from_directory(str(sample_dir))
    assert builder.info.splits["train"].num_examples == 6
    step = builder.info.features["steps"].feature
    assert step["observation"]["image_0"].shape == (256, 256, 3)
    assert step["observation"]["state"].shape == (7,)
    assert step["action"].shape == (7,)


def test_same_seed_same_bytes(tmp_path):
    a = write_sample(tmp_path / "a", episodes=2, seed=3, shards=1)
    b = write_sample(tmp_path / "b", episodes=2, seed=3, shards=1)
    name = "ecot_sample-train.tfrecord-00000-of-00001"
    assert (a / name).read_bytes() == (b / name).read_bytes()


def test_ground_truth_projects_the_state(sample_dir):
    dataset = RldsDataset.open(str(sample_dir))
    decoder = EpisodeDecoder(dataset, load_profile("ecot_sample"))
    shard = dataset.shards[0]
    pos, raw, _ = next(read_shard(shard))
    ep = decoder.decode(raw, shard, pos)
    gt = ep.ground_truth
    camera = gt["camera_matrix"].astype(np.float64)
    projected = np.hstack([ep.arms[0].xyz, np.ones((ep.n_steps, 1))]) @ camera.T
    pixels = projected[:, :2] / projected[:, 2:]
    assert np.abs(pixels - gt["gripper_pixel"]).max() < 0.05
    assert ((pixels >= 0) & (pixels < 256)).all()
    assert gt["object_boxes"].shape == (ep.n_steps, 3, 4)
    assert ep.instruction.startswith("put the ")
