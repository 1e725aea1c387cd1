"""The generated sample's labels: variants of its units and control rate, and the true primitive.

The true phase of a step is the scripted segment its motion belongs to. The true primitive is
ECoT's rule applied to the noise-free scripted path over 0.8 s (4 steps at Bridge's 5 Hz), with
ECoT's thresholds expressed in the variant's units: what a correct labeller would write.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecot_annotate.config import MotionConfig
from ecot_annotate.geometry.motion import primitives

BRIDGE_HZ = 5.0
PHASES = ("approach", "grasp", "carry", "release", "retreat")


@dataclass(frozen=True)
class Variant:
    """How a generated sample departs from the Bridge-like default."""

    position_scale: float = 1.0  # state and action xyz units per metre (1000: millimetres)
    rate: int = 1  # control rate as a multiple of Bridge's 5 Hz
    labels: bool = False  # add the true phase and primitive of every step

    @property
    def control_hz(self) -> float:
        return BRIDGE_HZ * self.rate


VARIANTS = {
    "bridge-like": Variant(),
    "labelled": Variant(labels=True),
    "mm": Variant(position_scale=1000.0, labels=True),
    "rate3": Variant(rate=3, labels=True),
    "rate10": Variant(rate=10, labels=True),
}


def true_motion_config(variant: Variant) -> MotionConfig:
    """ECoT's motion rule, moved into the variant's units and control rate."""
    base = MotionConfig()
    return MotionConfig(
        window=base.window * variant.rate,
        translation_threshold=base.translation_threshold * variant.position_scale,
        rotation_threshold=base.rotation_threshold,
        gripper_threshold=base.gripper_threshold,
        cap_translation=base.cap_translation,
    )


def true_primitives(clean: np.ndarray, openings: np.ndarray, variant: Variant) -> list[str]:
    """The primitive of every step, from the scripted path before noise (no rotation is scripted).

    `clean` is the path in metres, `openings` the gripper's opening per step.
    """
    return primitives(
        clean * variant.position_scale,
        np.zeros((len(clean), 3)),
        openings,
        true_motion_config(variant),
    )


def label_features() -> tuple[dict, dict]:
    """TFDS features of the labels: (per step, per episode)."""
    import tensorflow_datasets as tfds

    f = tfds.features
    step = {
        "phase": f.Text(doc="True phase: " + " / ".join(PHASES) + "."),
        "primitive": f.Text(doc="True ECoT motion primitive of the scripted path."),
    }
    episode = {
        "control_hz": f.Scalar(dtype=np.float32, doc="Control rate of the recording."),
        "position_scale": f.Scalar(dtype=np.float32, doc="State xyz units per metre."),
    }
    return step, episode
