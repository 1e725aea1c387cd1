"""Where the shared Bridge sample is, and a writer of small RLDS folders from example dicts."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BRIDGE = REPO.parent / "shared" / "data" / "bridge_debug" / "bridge_dataset" / "1.0.0"


def write_rlds(
    folder: Path,
    episodes: list[dict],
    name: str = "ecot_sample",
    features=None,
    version: str = "1.0.0",
) -> Path:
    """Write example dicts as a TFDS folder `folder/NAME/VERSION`, one shard; return that folder.

    `features` defaults to the generated sample's (as `sample.generate.make_episode` fills them).
    """
    import tensorflow_datasets as tfds

    from ecot_annotate.sample.generate import sample_features
    from ecot_annotate.sources.tfrecord_file import write_record

    root = Path(folder) / name / version
    root.mkdir(parents=True, exist_ok=True)
    features = sample_features() if features is None else features
    with open(root / f"{name}-train.tfrecord-00000-of-00001", "wb") as handle:
        for episode in episodes:
            write_record(handle, features.serialize_example(episode))
    tfds.folder_dataset.write_metadata(
        data_dir=str(root), features=features, split_infos=None, check_data=False
    )
    return root


def decode_all(folder: Path, profile: str) -> list:
    """Every episode of an RLDS folder, decoded through the production decoder."""
    from ecot_annotate.profiles import load_profile
    from ecot_annotate.sources.rlds import EpisodeDecoder, RldsDataset, read_shard

    dataset = RldsDataset.open(str(folder))
    decoder = EpisodeDecoder(dataset, load_profile(profile))
    return [
        decoder.decode(data, shard, pos)
        for shard in dataset.shards
        for pos, data, _ in read_shard(shard)
    ]
