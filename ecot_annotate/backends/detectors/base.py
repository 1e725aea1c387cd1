"""The shared part of the open-vocabulary detectors: one interface, box selection, the registry.

Every backend is the transformers-native classes (`AutoModelForZeroShotObjectDetection` and
`AutoProcessor`), loaded by hub id or local folder, and take a batch of frames from any number
of episodes, each frame with its own vocabulary. Each reads its model's raw outputs into the same
form, a score per (box, phrase), so labelling, thresholds and duplicate suppression are shared:
a box gets the phrase it scores highest on, is kept when that score clears the box threshold and
the phrase's mean token score clears the text threshold (ECoT: 0.3 and 0.2 with Grounding DINO),
and boxes of one label that overlap by more than `nms_iou` keep only the best.
"""

from __future__ import annotations

import numpy as np

from ecot_annotate.episode import Box
from ecot_annotate.errors import InputError
from ecot_annotate.registry import Registry

NMS_IOU = 0.5


def check_frames(images: list[np.ndarray], vocabularies: list[list[str]]) -> None:
    """Raise ValueError unless every frame is (H, W, 3) uint8 with a non-empty vocabulary."""
    if len(images) != len(vocabularies):
        raise ValueError(f"{len(images)} frames but {len(vocabularies)} vocabularies")
    for i, (image, vocabulary) in enumerate(zip(images, vocabularies, strict=True)):
        if (
            not isinstance(image, np.ndarray)
            or image.ndim != 3
            or image.shape[2] != 3
            or image.dtype != np.uint8
            or min(image.shape[:2]) < 1
        ):
            shape = getattr(image, "shape", type(image).__name__)
            raise ValueError(
                f"frame {i} must be an (H, W, 3) uint8 RGB array, got {shape} {getattr(image, 'dtype', '')}".rstrip()
            )
        if not [p for p in vocabulary if p.strip()]:
            raise ValueError(
                f"frame {i} has an empty vocabulary: nothing to prompt the detector with"
            )


def corners(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """Normalised (cx, cy, w, h) -> pixel (x0, y0, x1, y1)."""
    cx, cy, w, h = np.moveaxis(np.asarray(boxes, dtype=np.float64), -1, 0)
    return np.stack(
        [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height],
        axis=-1,
    )


def iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    x0, y0 = np.maximum(box[0], others[:, 0]), np.maximum(box[1], others[:, 1])
    x1, y1 = np.minimum(box[2], others[:, 2]), np.minimum(box[3], others[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def select_boxes(
    phrase_max: np.ndarray,
    phrase_mean: np.ndarray,
    boxes: np.ndarray,
    phrases: list[str],
    size: tuple[int, int],
    box_threshold: float,
    text_threshold: float,
    nms_iou: float = NMS_IOU,
) -> list[Box]:
    """Label, threshold, clip to the (width, height) image and de-duplicate one frame's boxes, best first."""
    if not len(boxes) or not phrases:
        return []
    best = phrase_max.argmax(axis=1)
    rows = np.arange(len(boxes))
    score, support = phrase_max[rows, best], phrase_mean[rows, best]
    clipped = np.clip(boxes, 0, [size[0], size[1], size[0], size[1]])
    area = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    keep = np.flatnonzero((score > box_threshold) & (support > text_threshold) & (area > 0))
    keep = keep[np.argsort(-score[keep], kind="stable")]
    chosen: list[int] = []
    for i in keep:
        same = [j for j in chosen if best[j] == best[i]]
        if not same or iou(clipped[i], clipped[same]).max() <= nms_iou:
            chosen.append(int(i))
    return [
        Box(phrases[best[i]], float(score[i]), tuple(float(v) for v in clipped[i])) for i in chosen
    ]


class ZeroShotDetector:
    """Loads the model once; `detect` runs one batched forward pass over frames of any episodes."""

    name: str
    default_model: str
    model_types: tuple[str, ...]  # config.json model_type values the backend can run

    def __init__(
        self, model: str, box_threshold: float, text_threshold: float, device: str = "cpu"
    ):
        from transformers import AutoModelForZeroShotObjectDetection, AutoProcessor

        self.model_id, self.device = model, device
        self.box_threshold, self.text_threshold = box_threshold, text_threshold
        self.processor = AutoProcessor.from_pretrained(model)
        self.model = AutoModelForZeroShotObjectDetection.from_pretrained(model).to(device).eval()
        model_type = self.model.config.model_type
        if model_type not in self.model_types:
            raise InputError(
                f"{model} is a '{model_type}' model; the {self.name} detector runs {' or '.join(self.model_types)}"
            )

    def detect(self, images: list[np.ndarray], vocabularies: list[list[str]]) -> list[list[Box]]:
        """Boxes per frame in that frame's pixel coordinates, labelled with its vocabulary's phrases."""
        import torch

        check_frames(images, vocabularies)
        phrases = [[p.replace(".", " ").strip() for p in v if p.strip()] for v in vocabularies]
        with torch.inference_mode():
            scored = self._score(images, phrases)
        return [
            select_boxes(
                pmax,
                pmean,
                boxes,
                words,
                (image.shape[1], image.shape[0]),
                self.box_threshold,
                self.text_threshold,
            )
            for (pmax, pmean, boxes), words, image in zip(scored, phrases, images, strict=True)
        ]

    def _score(
        self, images: list[np.ndarray], phrases: list[list[str]]
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per frame: (best token score per box and phrase, mean token score, pixel boxes)."""
        raise NotImplementedError


DETECTORS: Registry[type[ZeroShotDetector]] = Registry("detector")


def detector_class(name: str) -> type[ZeroShotDetector]:
    return DETECTORS.get(name)


def build_detector(
    name: str, model: str | None, box_threshold: float, text_threshold: float, device: str = "cpu"
) -> ZeroShotDetector:
    cls = detector_class(name)
    return cls(model or cls.default_model, box_threshold, text_threshold, device)
