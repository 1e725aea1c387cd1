"""Augmented RLDS output: TFDS reads it back with every original feature bit-equal and reasoning on every step."""

from __future__ import annotations

import numpy as np
import pytest

from ecot_annotate.episode import REASONING_FIELDS
from ecot_annotate.sinks.rlds import EPISODE_KEY, STEP_KEY
from ecot_annotate.stages.validate import NO_DETECTOR

tfds = pytest.importorskip("tensorflow_datasets")


def _image_skipping(builder):
    from ecot_annotate.sources.tfds_features import image_decoders

    return image_decoders(builder.info.features)


def _episodes(folder) -> dict[str, dict]:
    """file_path_episode_id -> episode (numpy, steps as a list), read through TFDS."""
    builder = tfds.builder_from_directory(str(folder))
    ds = builder.as_dataset(split="train", decoders=_image_skipping(builder))
    out = {}
    for episode in tfds.as_numpy(ds):
        meta = episode["episode_metadata"]
        episode["steps"] = list(episode["steps"])
        out[f"{meta['file_path'].decode()}_{meta['episode_id']}"] = episode
    return out


def _flat(tree, prefix=""):
    if isinstance(tree, dict):
        return {k2: v2 for k, v in tree.items() for k2, v2 in _flat(v, f"{prefix}{k}/").items()}
    return {prefix.rstrip("/"): tree}


@pytest.fixture(scope="module")
def rlds_run(bridge_dir, tmp_path_factory):
    from ecot_annotate.config import AnnotateConfig
    from pipelines.run import run

    out = tmp_path_factory.mktemp("rlds_run")
    summary = run(AnnotateConfig(input=str(bridge_dir), out=str(out), formats=("rlds",)))
    return out, summary


def test_rlds_output_reads_back_with_tfds(bridge_dir, rlds_run):
    out, summary = rlds_run
    assert summary["episodes_out"] == 25 and summary["episodes_quarantined"] == 0
    folder = out / "rlds" / "bridge_dataset" / "1.0.0"
    assert (folder / "dataset_info.json").is_file() and (folder / "features.json").is_file()
    assert sorted(p.name for p in folder.glob("*.tfrecord-*"))[0].startswith(
        "bridge_dataset-train.tfrecord-00000-of-"
    )

    source, annotated = _episodes(bridge_dir), _episodes(folder)
    assert len(annotated) == 25 and set(annotated) == set(source)
    assert sum(len(e["steps"]) for e in annotated.values()) == 250
    for key, original in source.items():
        episode = annotated[key]
        for name, value in _flat(original["episode_metadata"]).items():
            assert np.array_equal(value, _flat(episode["episode_metadata"])[name]), (key, name)
        assert episode[EPISODE_KEY]["episode_key"].decode() == key
        assert episode[EPISODE_KEY]["gripper_reason"].decode() == NO_DETECTOR
        assert np.isnan(episode[EPISODE_KEY]["gripper_fit_rms_px"])
        assert len(episode["steps"]) == len(original["steps"])
        for t, (src_step, out_step) in enumerate(
            zip(original["steps"], episode["steps"], strict=True)
        ):
            out_flat = _flat(out_step)
            for name, value in _flat(src_step).items():  # images stay the stored JPEG bytes
                assert np.array_equal(value, out_flat[name]), (key, t, name)
            reasoning = out_step[STEP_KEY]
            for field in (*REASONING_FIELDS, "chain", "primitive"):
                assert reasoning[field].decode().strip(), (key, t, field)
            assert reasoning["chain"].decode().startswith("TASK: ")
            assert not reasoning["has_gripper_position"]  # offline run: no gripper tracker
            assert len(reasoning["arm_names"]) == len(reasoning["arm_primitives"]) == 0  # one arm
