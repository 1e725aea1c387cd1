"""Use a trained checkpoint as a policy: image + instruction -> chain, then action.

`Policy.load(ckpt).predict(image, instruction)` is the call for a robot loop. The chain is
generated greedily until `ACTION:` (action tokens suppressed), then exactly one action's worth of
tokens is decoded with only action tokens allowed, and mapped back to de-normalised values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import StoppingCriteriaList

from ecot_annotate.text.chain import split_chain
from ecot_annotate.train.action_tokens import ActionTokenizer
from ecot_annotate.train.encode import ExampleEncoder, append_ids
from ecot_annotate.train.model import PolicySpec, load_policy
from ecot_annotate.train.prompt_styles import ACTION_TAG, answer_text, inference_prefill
from ecot_annotate.train.stopping import StopAfterIds, action_tag_endings


@dataclass
class Prediction:
    chain: str  # the generated chain, without ACTION
    tags: dict[str, str]  # the chain by tag, in order
    action: np.ndarray  # (D,) de-normalised action
    action_ids: list[int]


def pick_device(device: str = "auto") -> str:
    return ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device


class Policy:
    def __init__(self, model, processor, spec: PolicySpec, actions: ActionTokenizer, device: str):
        self.model, self.processor, self.spec, self.actions, self.device = (
            model,
            processor,
            spec,
            actions,
            device,
        )
        self.encoder = ExampleEncoder(
            processor, spec.prompt_style, spec.image_token, actions, model.config.model_type
        )
        self.tokenizer = processor.tokenizer
        self.pad_id = (
            self.tokenizer.pad_token_id
            if self.tokenizer.pad_token_id is not None
            else self.tokenizer.eos_token_id
        )

    @classmethod
    def load(cls, ckpt: str | Path, device: str = "auto") -> Policy:
        device = pick_device(device)
        return cls(*load_policy(ckpt, device), device=device)

    def to_device(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        dtype = self.model.dtype
        return {
            k: v.to(self.device, dtype=dtype if v.is_floating_point() else v.dtype)
            for k, v in inputs.items()
        }

    def _with_answer(self, prompt: dict[str, torch.Tensor], text: str) -> dict[str, torch.Tensor]:
        ids = torch.tensor([self.encoder.text_ids(text)], dtype=torch.long)
        return append_ids(prompt, ids, self.encoder.answer_token_type) if ids.shape[1] else prompt

    @torch.no_grad()
    def generate_chain(self, prompt: dict[str, torch.Tensor], max_tokens: int) -> str:
        """Greedy chain text up to `ACTION:` (the ECoT-Vicuna style starts it with `TASK:`)."""
        prefill = inference_prefill(self.spec.prompt_style)
        inputs = self.to_device(self._with_answer(prompt, prefill))
        stop = StopAfterIds(action_tag_endings(self.encoder.text_ids), inputs["input_ids"].shape[1])
        out = self.model.generate(
            **inputs,
            max_new_tokens=max_tokens,
            do_sample=False,
            stopping_criteria=StoppingCriteriaList([stop]),
            suppress_tokens=self.actions.token_ids.tolist(),
            pad_token_id=self.pad_id,
        )
        text = self.tokenizer.decode(
            out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True
        )
        return f"{prefill} {text.split(ACTION_TAG)[0].strip()}".strip()

    @torch.no_grad()
    def generate_action(self, prompt: dict[str, torch.Tensor], chain: str) -> list[int]:
        """One action's tokens after `chain ACTION:`, choosing among action tokens only."""
        inputs = self.to_device(self._with_answer(prompt, answer_text(chain)))
        allowed = self.actions.token_ids.tolist()
        out = self.model.generate(
            **inputs,
            max_new_tokens=self.actions.stats.dim,
            min_new_tokens=self.actions.stats.dim,
            do_sample=False,
            prefix_allowed_tokens_fn=lambda _batch, _ids: allowed,
            pad_token_id=self.pad_id,
        )
        return out[0, inputs["input_ids"].shape[1] :].tolist()

    def predict(self, image, instruction: str, max_reasoning_tokens: int = 512) -> Prediction:
        """`image`: encoded bytes, decoded pixels or a PIL image. A checkpoint trained action-only
        skips the chain."""
        prompt = self.encoder.prompt(image, instruction)
        reason = (
            self.spec.reasoning and self.spec.reasoning_dropout < 1.0 and max_reasoning_tokens > 0
        )
        chain = self.generate_chain(prompt, max_reasoning_tokens) if reason else ""
        ids = self.generate_action(prompt, chain)
        tags = {t: v for t, v in split_chain(chain).items() if t != ACTION_TAG}
        return Prediction(
            chain=chain, tags=tags, action=self.actions.decode(np.asarray(ids)), action_ids=ids
        )
