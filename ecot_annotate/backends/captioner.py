"""Scene captioners: one caption of an episode's first frame, from a VLM, chosen by name.

ECoT prompted its detector with words from a scene caption as well as the instruction; the caption
also reaches the LLM reasoner as data. Two backends take the frame as the dataset stored it:
`transformers` runs an image-text-to-text model (`AutoModelForImageTextToText` + `AutoProcessor`,
hub id or local folder); `openai` sends the frame as a data URL to any OpenAI-compatible chat
server that takes images, through the LLM reasoner's client (same base URL, key variable, retries).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from ecot_annotate.config import LLMConfig, PerceptionConfig
from ecot_annotate.errors import EcotError, EpisodeError
from ecot_annotate.frames import Frame, encoded
from ecot_annotate.prompt_texts import caption_prompt
from ecot_annotate.registry import Registry

DEFAULT_MODEL = "Qwen/Qwen2.5-VL-3B-Instruct"  # the transformers backend's default
MAX_TOKENS = 64  # one sentence; a longer caption would crowd the detector's prompt


class Captioner(Protocol):
    def caption(self, image: Frame) -> str:
        """The caption of one frame (encoded, or decoded pixels)."""
        ...


def captioner_concurrency(config: PerceptionConfig, llm: LLMConfig) -> int:
    """Episodes one worker has waiting on the captioner at once: a server's requests wait, so
    `--llm-concurrency` of them; a model in the worker, one."""
    return llm.concurrency if config.captioner == "openai" else 1


def image_text_to_text_types() -> tuple[str, ...]:
    """The config `model_type`s that AutoModelForImageTextToText can load."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES

    return tuple(MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES)


def captioner_model(config: PerceptionConfig, llm: LLMConfig) -> str:
    """The model that captions: --captioner-model, else the backend's default (openai: --llm-model)."""
    CAPTIONERS.get(config.captioner)
    if config.captioner == "transformers":
        return config.captioner_model or DEFAULT_MODEL
    if config.captioner == "openai":
        if not (config.captioner_model or llm.model):
            raise EcotError(
                "--captioner openai needs --captioner-model (or --llm-model): the model name the server serves"
            )
        return config.captioner_model or str(llm.model)
    return str(config.captioner_model)


def check_captioner(config: PerceptionConfig, llm: LLMConfig) -> None:
    """Fail before any work when the captioner cannot run: no model here, no model name, no key."""
    from ecot_annotate.backends.llm_client import api_key
    from ecot_annotate.backends.weights import check_model

    if not config.captions:
        return
    model = captioner_model(config, llm)
    if config.captioner == "transformers":
        check_model(
            model, "--captioner-model", image_text_to_text_types(), "captioner (image-text-to-text)"
        )
    else:
        api_key(llm, "--captioner openai")


def image_data_url(image: bytes) -> str:
    """A `data:image/...;base64,` URL of the encoded frame, its type read from the bytes."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(image)) as img:
            kind = (img.format or "").lower()
    except Exception as exc:  # noqa: BLE001 - an unreadable frame is this episode's fault
        raise EpisodeError(
            "caption", f"the first frame cannot be read: {type(exc).__name__}: {exc}"
        ) from exc
    if kind not in ("jpeg", "png", "webp", "gif"):
        raise EpisodeError(
            "caption", f"the first frame is {kind or 'of unknown type'}, not JPEG/PNG/WebP/GIF"
        )
    return f"data:image/{kind};base64,{base64.b64encode(image).decode()}"


class TransformersCaptioner:
    """An image-text-to-text model asked the caption prompt about one frame, greedy decoding."""

    name = "transformers"

    def __init__(self, model: str, device: str = "cpu", max_new_tokens: int = MAX_TOKENS):
        from transformers import AutoModelForImageTextToText, AutoProcessor

        self.model_id, self.device, self.max_new_tokens = model, device, max_new_tokens
        self.processor = AutoProcessor.from_pretrained(model)
        self.model = AutoModelForImageTextToText.from_pretrained(model).to(device).eval()
        prompt, _ = caption_prompt()
        messages = [
            {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}
        ]
        # Without a chat template (BLIP-2, PaliGemma) the processor places the image itself.
        has_template = getattr(self.processor, "chat_template", None) is not None
        self.text = (
            self.processor.apply_chat_template(messages, add_generation_prompt=True)
            if has_template
            else prompt
        )

    def caption(self, image: Frame) -> str:
        import torch

        from ecot_annotate.episode import decode_image

        pixels = decode_image(image)
        inputs = self.processor(images=[pixels], text=[self.text], return_tensors="pt").to(
            self.device
        )
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        answer = out[:, inputs["input_ids"].shape[1] :]
        return self.processor.batch_decode(answer, skip_special_tokens=True)[0]


class OpenAICaptioner:
    """One chat request per frame with the image as a data URL; the answer is plain text."""

    name = "openai"

    def __init__(self, llm: LLMConfig, model: str):
        from ecot_annotate.backends.llm_client import ChatClient

        self.client = ChatClient(replace(llm, model=model, max_tokens=MAX_TOKENS), schema=None)

    def caption(self, image: Frame) -> str:
        from ecot_annotate.backends.llm_client import RequestFailed

        prompt, _ = caption_prompt()
        content = [
            {"type": "text", "text": prompt},
            {"type": "image_url", "image_url": {"url": image_data_url(encoded(image))}},
        ]
        try:
            return self.client.complete([{"role": "user", "content": content}]).text
        except RequestFailed as exc:
            raise EpisodeError("caption", f"{exc.kind}: {exc.detail}") from None


CAPTIONERS: Registry[Callable[[PerceptionConfig, LLMConfig, str], Captioner]] = Registry(
    "captioner"
)


@CAPTIONERS.register("transformers")
def _transformers(config: PerceptionConfig, llm: LLMConfig, model: str) -> Captioner:
    from ecot_annotate.backends.device import resolve_device

    return TransformersCaptioner(model, resolve_device(config.device))


@CAPTIONERS.register("openai")
def _openai(config: PerceptionConfig, llm: LLMConfig, model: str) -> Captioner:
    return OpenAICaptioner(llm, model)


def build_captioner(config: PerceptionConfig, llm: LLMConfig) -> Captioner:
    return CAPTIONERS.get(config.captioner)(config, llm, captioner_model(config, llm))
