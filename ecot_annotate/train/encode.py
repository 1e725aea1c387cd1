"""One step -> model inputs: the processor handles the image and the prompt, the answer (chain,
`ACTION:`, action ids, EOS) is appended as ids, and labels mask everything but the answer."""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image

from ecot_annotate.train.action_tokens import ActionTokenizer
from ecot_annotate.train.prompt_styles import adds_special_tokens, answer_text, prompt_text

IGNORE = -100  # label of positions without loss (the prompt, the padding)


def open_image(data: bytes | np.ndarray | Image.Image) -> Image.Image:
    """A PIL image of encoded bytes, decoded pixels (a video's frame) or a PIL image."""
    if isinstance(data, Image.Image):
        return data.convert("RGB")
    if isinstance(data, np.ndarray):
        return Image.fromarray(data)
    return Image.open(io.BytesIO(data)).convert("RGB")


class ExampleEncoder:
    """Turns (image, instruction, chain, action) into tensors for one model and prompt style."""

    def __init__(
        self,
        processor,
        style: str,
        image_token: str | None,
        actions: ActionTokenizer,
        model_type: str = "",
    ):
        self.processor, self.style, self.image_token, self.actions = (
            processor,
            style,
            image_token,
            actions,
        )
        self.tokenizer = processor.tokenizer
        # PaliGemma marks the answer (suffix) with token type 1 so its attention stays causal there.
        self.answer_token_type = 1 if model_type == "paligemma" else 0

    def prompt(self, image, instruction: str) -> dict[str, torch.Tensor]:
        """Processor outputs for the prompt alone (a batch of one)."""
        text = prompt_text(self.style, instruction, self.processor, self.image_token)
        return dict(
            self.processor(
                text=text,
                images=open_image(image),
                add_special_tokens=adds_special_tokens(self.style),
                return_tensors="pt",
            )
        )

    def text_ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False).input_ids if text else []

    def answer_ids(self, chain: str, action: np.ndarray) -> list[int]:
        action_ids = self.actions.encode(np.asarray(action, dtype=np.float64)).tolist()
        return [*self.text_ids(answer_text(chain)), *action_ids, self.tokenizer.eos_token_id]

    def encode(
        self, image, instruction: str, chain: str, action: np.ndarray
    ) -> dict[str, torch.Tensor]:
        """Prompt + answer as one sequence; `labels` holds the answer ids only."""
        inputs = self.prompt(image, instruction)
        answer = torch.tensor([self.answer_ids(chain, action)], dtype=torch.long)
        return append_ids(inputs, answer, self.answer_token_type, with_labels=True)


def append_ids(
    inputs: dict[str, torch.Tensor],
    ids: torch.Tensor,
    token_type: int = 0,
    with_labels: bool = False,
) -> dict[str, torch.Tensor]:
    """Extend every per-token tensor of a batch of one by `ids` (1, n)."""
    length = inputs["input_ids"].shape[1]
    out = {}
    for key, value in inputs.items():
        if key == "input_ids":
            out[key] = torch.cat([value, ids], dim=1)
        elif torch.is_tensor(value) and value.dim() == 2 and value.shape == (1, length):
            fill = 1 if key == "attention_mask" else token_type
            out[key] = torch.cat([value, torch.full_like(ids, fill)], dim=1)
        else:
            out[key] = value
    if with_labels:
        out["labels"] = torch.cat([torch.full((1, length), IGNORE, dtype=torch.long), ids], dim=1)
    return out


def collate(examples: list[dict[str, torch.Tensor]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad per-token tensors to the longest example; stack the rest along the batch axis."""
    longest = max(e["input_ids"].shape[1] for e in examples)
    batch: dict[str, torch.Tensor] = {}
    for key in examples[0]:
        values = [e[key] for e in examples]
        if (
            values[0].dim() == 2
            and values[0].shape[0] == 1
            and all(
                v.shape[1] == e["input_ids"].shape[1] for v, e in zip(values, examples, strict=True)
            )
        ):
            fill = {"input_ids": pad_id, "labels": IGNORE}.get(key, 0)
            batch[key] = torch.cat(
                [torch.nn.functional.pad(v, (0, longest - v.shape[1]), value=fill) for v in values]
            )
        else:
            batch[key] = torch.cat(values)
    return batch
