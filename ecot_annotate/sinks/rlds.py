"""Augmented RLDS: the source's own episodes with ECoT reasoning added to every step.

Our features are serialized on their own and appended to the source record's bytes: a
tf.train.Example is a protobuf map, and protobuf merges concatenated messages, so the result is the
source's example with our features added. Nothing of the source is decoded or re-encoded, so
every original feature (images of any dtype and encoding included) is kept bit for bit, and the
memory an episode needs is its record, not its decoded steps. Added per step under `ecot`: the
six reasoning fields, the assembled chain, the primitive, each arm's name and primitive (two-arm
robots; empty for one arm, so both share one schema), the boxes and the gripper position; per
episode under `ecot_provenance`: where the annotation came from, and how well the gripper track
fits its detections. Metadata is written with TFDS's own writer, so `tfds.builder_from_directory`
reads the folder like any RLDS dataset.
"""

from __future__ import annotations

import json

import numpy as np

from ecot_annotate import __version__
from ecot_annotate.episode import REASONING_FIELDS, AnnotatedEpisode
from ecot_annotate.errors import EpisodeError, InputError
from ecot_annotate.llvm_order import load_triton_first
from ecot_annotate.quiet import tfds_quietly
from ecot_annotate.sources.tfds_features import STEPS
from ecot_annotate.text.chain import clean_text, step_chain

STEP_KEY = "ecot"
EPISODE_KEY = "ecot_provenance"
PROVENANCE_FIELDS = (
    "reasoning_source",
    "reasoning_model",
    "fallback_reason",
    "prompt_hash",
    "detector",
    "segmenter",
    "captioner",
    "config_hash",
)


def _tfds():
    """TFDS, whose feature and metadata code here loads TensorFlow: triton goes first."""
    load_triton_first()
    import tensorflow_datasets as tfds

    return tfds


def _added_step_features():
    tfds = _tfds()

    text = {name: tfds.features.Text() for name in (*REASONING_FIELDS, "chain", "primitive")}
    return tfds.features.FeaturesDict(
        {
            **text,
            "arm_names": tfds.features.Sequence(
                tfds.features.Text(),
                doc="each arm's name (left, right) for a two-arm robot; empty for one arm",
            ),
            "arm_primitives": tfds.features.Sequence(
                tfds.features.Text(),
                doc="each arm's primitive at this step, in arm_names' order; empty for one arm",
            ),
            "box_labels": tfds.features.Sequence(tfds.features.Text()),
            "box_scores": tfds.features.Sequence(tfds.features.Scalar(dtype=np.float32)),
            "box_tracks": tfds.features.Sequence(
                tfds.features.Scalar(dtype=np.int32),
                doc="each box's object id across the episode; -1 when boxes are not tracked",
            ),
            "boxes": tfds.features.Sequence(
                tfds.features.Tensor(shape=(4,), dtype=np.float32),
                doc="x0, y0, x1, y1 in pixels of the image the detector saw",
            ),
            "gripper_position": tfds.features.Tensor(
                shape=(2,), dtype=np.float32, doc="x, y in pixels; zeros when not tracked"
            ),
            "has_gripper_position": tfds.features.Scalar(dtype=np.bool_),
        }
    )


def _added_episode_features():
    tfds = _tfds()

    fields = {
        name: tfds.features.Text()
        for name in ("episode_key", "tool_version", "caption", "gripper_reason", *PROVENANCE_FIELDS)
    }
    return tfds.features.FeaturesDict(
        {
            **fields,
            "image_width": tfds.features.Scalar(dtype=np.int32),
            "image_height": tfds.features.Scalar(dtype=np.int32),
            "gripper_fit_rms_px": tfds.features.Scalar(
                dtype=np.float32,
                doc="pixel error of the gripper fit over its inlier detections; NaN when not fitted",
            ),
            "gripper_fit_inliers": tfds.features.Scalar(
                dtype=np.int32, doc="detections the gripper fit agrees with; 0 when not fitted"
            ),
        }
    )


def augmented_features(features_json: str):
    """The source's FeaturesDict with our step and episode features added."""
    tfds = _tfds()

    source = tfds.features.FeatureConnector.from_json(json.loads(features_json))
    if STEPS not in source:
        raise InputError("the source has no 'steps' feature: augmented RLDS needs an RLDS input")
    step_features = dict(source[STEPS].feature.items())
    if STEP_KEY in step_features or EPISODE_KEY in source:
        raise InputError(
            f"the source already has an '{STEP_KEY}' or '{EPISODE_KEY}' feature; it looks annotated already"
        )
    step_features[STEP_KEY] = _added_step_features()
    top = {k: v for k, v in source.items() if k != STEPS}
    top[STEPS] = tfds.features.Dataset(step_features)
    top[EPISODE_KEY] = _added_episode_features()
    return tfds.features.FeaturesDict(top)


def _step_values(annotated: AnnotatedEpisode, t: int) -> dict:
    ann = annotated.annotation
    boxes = [] if ann.bboxes is None else ann.bboxes[t]
    values = {k: clean_text(v) for k, v in ann.reasoning[t].as_dict().items()}
    values.update(
        chain=step_chain(annotated, t),
        primitive=ann.move(t),
        arm_names=list(ann.named_arms),
        arm_primitives=[prims[t] for prims in ann.named_arms.values()],
        box_labels=[clean_text(b.label) for b in boxes],
        box_scores=np.asarray([b.score for b in boxes], dtype=np.float32),
        box_tracks=np.asarray([-1 if b.track is None else b.track for b in boxes], dtype=np.int32),
        boxes=np.asarray([b.box for b in boxes], dtype=np.float32).reshape(-1, 4),
        gripper_position=np.zeros(2, np.float32)
        if ann.gripper is None
        else np.asarray(ann.gripper[t], dtype=np.float32),
        has_gripper_position=ann.gripper is not None,
    )
    return values


def _episode_values(annotated: AnnotatedEpisode) -> dict:
    ep, ann = annotated.episode, annotated.annotation
    values = {name: ann.provenance.get(name) or "" for name in PROVENANCE_FIELDS}
    values.update(
        episode_key=ep.key,
        tool_version=__version__,
        caption=clean_text(ann.caption or ""),
        gripper_reason=ann.gripper_reason or "",
        image_width=np.int32(ep.image_size[0]),
        image_height=np.int32(ep.image_size[1]),
        gripper_fit_rms_px=np.float32(
            np.nan if ann.gripper_fit_rms_px is None else ann.gripper_fit_rms_px
        ),
        gripper_fit_inliers=np.int32(ann.gripper_fit_inliers or 0),
    )
    return values


def _added_features():
    """Our features alone, nested as in the augmented dataset (so their serialized keys match)."""
    tfds = _tfds()

    return tfds.features.FeaturesDict(
        {
            STEPS: tfds.features.Dataset({STEP_KEY: _added_step_features()}),
            EPISODE_KEY: _added_episode_features(),
        }
    )


class RldsEpisodeWriter:
    """Serialize annotated episodes as augmented RLDS examples (built once per worker)."""

    def __init__(self, source_features_json: str):
        self.source_features_json = source_features_json
        self._added = None

    def serialize(self, annotated: AnnotatedEpisode) -> bytes:
        if self._added is None:
            augmented_features(self.source_features_json)  # refuses a source it cannot extend
            self._added = _added_features()
        ep = annotated.episode
        if ep.record is None:
            raise EpisodeError(
                "write-rlds",
                "the episode carries no source RLDS record (augmented RLDS needs an RLDS input)",
            )
        added = {
            STEPS: [{STEP_KEY: _step_values(annotated, t)} for t in range(ep.n_steps)],
            EPISODE_KEY: _episode_values(annotated),
        }
        return ep.record + self._added.serialize_example(added)


def shard_prefix(folder: str, name: str, split: str) -> str:
    """Beam writes `prefix-SSSSS-of-NNNNN`, the name TFDS expects for `{name}-{split}.tfrecord`."""
    return f"{folder}/{name}-{split}.tfrecord"


SHARD_TEMPLATE = "-SSSSS-of-NNNNN"


def write_metadata(folder: str, source_features_json: str, version: str) -> None:
    """dataset_info.json and features.json from TFDS's writer; split sizes counted from the shards."""
    tfds = _tfds()

    with tfds_quietly():
        tfds.folder_dataset.write_metadata(
            data_dir=folder,
            features=augmented_features(source_features_json),
            split_infos=None,
            version=version,
            check_data=False,
            description="RLDS episodes with Embodied Chain-of-Thought reasoning added per step (ecot-annotate).",
        )
