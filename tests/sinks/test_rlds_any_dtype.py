"""Augmented RLDS keeps every source feature bit for bit, whatever its dtype or encoding."""

from __future__ import annotations

import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")

SIZE = 16


def _features():
    from ecot_annotate.sample.generate import sample_features

    f = tfds.features
    base = sample_features()
    steps = dict(base["steps"].feature.items())
    observation = dict(steps["observation"].items())
    observation.update(
        depth=f.Image(shape=(SIZE, SIZE, 1), dtype=np.float32, doc="Depth in metres."),
        depth_mm=f.Image(shape=(SIZE, SIZE, 1), dtype=np.uint16, encoding_format="png"),
        raw16=f.Tensor(shape=(SIZE, SIZE), dtype=np.uint16, encoding=f.Encoding.ZLIB),
    )
    steps["observation"] = f.FeaturesDict(observation)
    top = {k: v for k, v in base.items() if k != "steps"}
    return f.FeaturesDict({**top, "steps": f.Dataset(steps)})


def _with_extra_images(episode: dict, rng) -> dict:
    for step in episode["steps"]:
        step["observation"]["depth"] = rng.uniform(0.1, 3.0, (SIZE, SIZE, 1)).astype(np.float32)
        step["observation"]["depth_mm"] = rng.integers(0, 65535, (SIZE, SIZE, 1), dtype=np.uint16)
        step["observation"]["raw16"] = rng.integers(0, 65535, (SIZE, SIZE), dtype=np.uint16)
    return episode


def _examples(folder) -> dict[str, object]:
    """episode file_path -> the raw tf.train.Example of every record in the folder's shards."""
    from tensorflow.core.example import example_pb2

    from ecot_annotate.sources.tfrecord_file import read_records

    out = {}
    for shard in sorted(folder.glob("*.tfrecord-*")):
        with open(shard, "rb") as handle:
            for record in read_records(handle):
                example = example_pb2.Example.FromString(record.data)
                key = example.features.feature["episode_metadata/file_path"].bytes_list.value[0]
                out[key.decode()] = example
    return out


def test_float32_and_uint16_images_pass_through_unchanged(make_episodes, tmp_path):
    from ecot_annotate.config import AnnotateConfig
    from ecot_annotate.sources.tfrecord_file import write_record
    from pipelines.run import run

    features, rng = _features(), np.random.default_rng(0)
    root = tmp_path / "in" / "ecot_sample" / "1.0.0"
    root.mkdir(parents=True)
    with open(root / "ecot_sample-train.tfrecord-00000-of-00001", "wb") as handle:
        for episode in make_episodes(2):
            write_record(handle, features.serialize_example(_with_extra_images(episode, rng)))
    tfds.folder_dataset.write_metadata(
        data_dir=str(root), features=features, split_infos=None, check_data=False
    )
    out = tmp_path / "out"
    summary = run(
        AnnotateConfig(input=str(root), out=str(out), profile="ecot_sample", formats=("rlds",))
    )
    assert (summary["episodes_out"], summary["episodes_quarantined"]) == (2, 0)

    folder = out / "rlds" / "ecot_sample" / "1.0.0"
    source, written = _examples(root), _examples(folder)
    assert set(source) == set(written) and len(source) == 2
    for key, original in source.items():
        for name, value in original.features.feature.items():
            assert written[key].features.feature[name] == value, (key, name)
        assert "steps/ecot/chain" in written[key].features.feature

    builder = tfds.builder_from_directory(str(folder))
    for episode in tfds.as_numpy(builder.as_dataset(split="train")):
        depth = next(iter(episode["steps"]))["observation"]["depth"]
        assert depth.dtype == np.float32 and depth.shape == (SIZE, SIZE, 1)
