"""Grounding DINO (and MM Grounding DINO), the detector ECoT used, through transformers."""

from __future__ import annotations

import numpy as np

from ecot_annotate.backends.detectors.base import DETECTORS, ZeroShotDetector, corners


@DETECTORS.register("grounding-dino")
class GroundingDinoDetector(ZeroShotDetector):
    """Grounding DINO scores boxes against the prompt's tokens; a phrase's tokens lie between periods."""

    name = "grounding-dino"
    default_model = "IDEA-Research/grounding-dino-tiny"  # ECoT used -base
    model_types = ("grounding-dino", "mm-grounding-dino")

    def _score(self, images, phrases):
        texts = [". ".join(words) + "." for words in phrases]
        # A long vocabulary (instruction and caption) is cut at the model's text length; the
        # phrases past the cut get no score (see phrase_spans) rather than failing the batch.
        inputs = self.processor(
            images=images,
            text=texts,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.model.config.max_text_len,
        ).to(self.device)
        outputs = self.model(**inputs)
        probs = outputs.logits.sigmoid().float().cpu().numpy()
        pred_boxes = outputs.pred_boxes.float().cpu().numpy()
        period = self.processor.tokenizer.convert_tokens_to_ids(".")
        special = set(self.processor.tokenizer.all_special_ids)
        scored = []
        for b, (image, words) in enumerate(zip(images, phrases, strict=True)):
            ids = inputs["input_ids"][b][inputs["attention_mask"][b].bool()].tolist()
            spans = phrase_spans(ids, period, special, len(words))
            pmax = np.zeros((probs.shape[1], len(words)))
            pmean = np.zeros_like(pmax)
            for p, span in enumerate(spans):
                if span:
                    pmax[:, p] = probs[b][:, span].max(axis=1)
                    pmean[:, p] = probs[b][:, span].mean(axis=1)
            scored.append((pmax, pmean, corners(pred_boxes[b], image.shape[1], image.shape[0])))
        return scored


def phrase_spans(ids: list[int], period: int, special: set[int], count: int) -> list[list[int]]:
    """Token positions of each of `count` phrases in 'a. b. c.' (empty where the text was cut short)."""
    spans: list[list[int]] = [[]]
    for position, token in enumerate(ids):
        if token == period:
            spans.append([])
        elif token not in special:
            spans[-1].append(position)
    spans = spans[:count]
    return spans + [[] for _ in range(count - len(spans))]
