"""OWLv2 (and OWL-ViT), an open-vocabulary detector with image-conditioned boxes, through transformers."""

from __future__ import annotations

import numpy as np

from ecot_annotate.backends.detectors.base import DETECTORS, ZeroShotDetector, corners


@DETECTORS.register("owlv2")
class Owlv2Detector(ZeroShotDetector):
    """OWLv2 scores every box against each query; it pads frames to a square before resizing."""

    name = "owlv2"
    default_model = "google/owlv2-base-patch16-ensemble"
    model_types = ("owlv2", "owlvit")

    def _score(self, images, phrases):
        inputs = self.processor(images=images, text=phrases, return_tensors="pt").to(self.device)
        outputs = self.model(**inputs)
        probs = outputs.logits.sigmoid().float().cpu().numpy()
        pred_boxes = outputs.pred_boxes.float().cpu().numpy()
        scored = []
        for b, (image, words) in enumerate(zip(images, phrases, strict=True)):
            side = max(image.shape[:2])
            pmax = probs[b][:, : len(words)].astype(np.float64)
            scored.append((pmax, pmax, corners(pred_boxes[b], side, side)))
        return scored
