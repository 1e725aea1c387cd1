"""What the RLDS source needs to know of a dataset's TFDS features: the flat key of every value,
which features are images (kept as the bytes the dataset stored), and which a broken record lacks."""

from __future__ import annotations

from typing import Any

STEPS = "steps"


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Nested feature dicts as one dict keyed by '/'-joined paths, as profiles name them."""
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out.update(flatten(value, f"{prefix}{key}/"))
        return out
    return {prefix.rstrip("/"): tree}


def image_decoders(features) -> dict:
    """Decoders that skip image decoding everywhere in `features`: frames stay JPEG/PNG bytes."""
    import tensorflow_datasets as tfds

    def walk(feature):
        if isinstance(feature, tfds.features.Image):
            return tfds.decode.SkipDecoding()
        if isinstance(feature, tfds.features.FeaturesDict):
            found = {k: walk(v) for k, v in feature.items()}
            return {k: v for k, v in found.items() if v is not None} or None
        if isinstance(feature, tfds.features.Dataset):
            return walk(feature.feature)
        return None

    return walk(features) or {}


def missing_features(raw: bytes, features) -> list[str]:
    """Serialized feature names the dataset declares but this record does not carry."""
    from tensorflow_datasets.proto import tf_example_pb2 as example_pb2

    try:
        present = set(example_pb2.Example.FromString(raw).features.feature)
    except Exception:  # noqa: BLE001 - not even a tf.train.Example: nothing to name
        return []
    return sorted(set(flatten(features.get_serialized_info())) - present)
