"""The gripper's mask inside its detected box (SAM), and one pixel that stands for the gripper.

A detector's box is loose; SAM prompted with that box outlines the gripper itself, and the mask
pixel nearest the mask's centre of mass is a steadier gripper position than the box centre.
"""

from __future__ import annotations

import numpy as np

from ecot_annotate.errors import InputError
from ecot_annotate.registry import Registry

SEGMENTERS: Registry[type] = Registry("segmenter")


def mask_point(mask: np.ndarray, box: tuple[float, float, float, float]) -> tuple[float, float]:
    """The mask pixel (inside the box) nearest the mask's centroid; the box centre when it is empty."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    inside = np.zeros_like(mask, dtype=bool)
    inside[max(y0, 0) : max(y1, 0) + 1, max(x0, 0) : max(x1, 0) + 1] = True
    ys, xs = np.nonzero(mask & inside)
    if not len(xs):
        return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    cx, cy = xs.mean(), ys.mean()
    nearest = int(np.argmin((xs - cx) ** 2 + (ys - cy) ** 2))
    return float(xs[nearest]), float(ys[nearest])


@SEGMENTERS.register("sam")
class SamSegmenter:
    """SAM through transformers' SamModel/SamProcessor, one box prompt per frame, batched."""

    name = "sam"
    default_model = "facebook/sam-vit-base"
    model_types = ("sam",)

    def __init__(self, model: str | None = None, device: str = "cpu"):
        from transformers import SamModel, SamProcessor

        self.model_id, self.device = model or self.default_model, device
        self.processor = SamProcessor.from_pretrained(self.model_id)
        self.model = SamModel.from_pretrained(self.model_id).to(device).eval()
        if self.model.config.model_type not in self.model_types:
            raise InputError(
                f"{self.model_id} is a '{self.model.config.model_type}' model, not SAM"
            )

    def masks(
        self, images: list[np.ndarray], boxes: list[tuple[float, float, float, float]]
    ) -> list[np.ndarray]:
        """One (H, W) bool mask per frame, for the box given with it."""
        import torch

        if not images:
            return []
        inputs = self.processor(
            images=images, input_boxes=[[list(b)] for b in boxes], return_tensors="pt"
        ).to(self.device)
        with torch.inference_mode():
            outputs = self.model(**inputs, multimask_output=False)
        masks = self.processor.image_processor.post_process_masks(
            outputs.pred_masks.float().cpu(),
            inputs["original_sizes"].cpu(),
            inputs["reshaped_input_sizes"].cpu(),
        )
        return [np.asarray(m[0, 0], dtype=bool) for m in masks]


def build_segmenter(name: str, model: str | None, device: str = "cpu") -> SamSegmenter:
    return SEGMENTERS.get(name)(model, device)
