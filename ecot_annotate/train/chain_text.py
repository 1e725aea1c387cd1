"""Per-sample edits of a stored chain: pixel coordinates rescaled to the model's input, and
reasoning dropout (each tagged field kept or dropped at random, as in ECoT and ECoT-Lite)."""

from __future__ import annotations

import re

import numpy as np

from ecot_annotate.text.chain import join_tags, split_chain

_NUMBER_LIST = re.compile(r"\[([-\d.,\s]+)\]")
PIXEL_TAGS = ("VISIBLE OBJECTS:", "GRIPPER POSITION:")


def _rescale_list(match: re.Match, sx: float, sy: float) -> str:
    values = [float(v) for v in match.group(1).split(",") if v.strip()]
    scaled = [v * (sx if i % 2 == 0 else sy) for i, v in enumerate(values)]  # x, y alternate
    return str([int(round(v)) for v in scaled])


def rescale_tags(
    tags: dict[str, str], image_size: tuple[int, int], model_size: tuple[int, int] | None
) -> dict[str, str]:
    """Boxes and gripper pixels from the stored image's (width, height) to the model's input size."""
    if model_size is None or tuple(model_size) == tuple(image_size):
        return tags
    sx, sy = model_size[0] / image_size[0], model_size[1] / image_size[1]
    return {
        tag: _NUMBER_LIST.sub(lambda m: _rescale_list(m, sx, sy), text)
        if tag in PIXEL_TAGS
        else text
        for tag, text in tags.items()
    }


def drop_tags(tags: dict[str, str], p: float, rng: np.random.Generator) -> dict[str, str]:
    """Keep each tagged field with probability 1 - p, in chain order."""
    if p <= 0:
        return tags
    return {tag: text for tag, text in tags.items() if rng.random() >= p}


def training_chain(
    chain: str,
    image_size: tuple[int, int],
    model_size: tuple[int, int] | None,
    dropout: float = 0.0,
    rng: np.random.Generator | None = None,
) -> str:
    """The chain text one training sample shows the model."""
    tags = rescale_tags(split_chain(chain or ""), image_size, model_size)
    tags.pop("ACTION:", None)
    if dropout > 0:
        tags = drop_tags(tags, dropout, rng or np.random.default_rng())
    return join_tags(tags)
