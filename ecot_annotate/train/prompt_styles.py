"""Training and inference text of a reasoning VLA (../shared/ECOT_FORMAT.md section 3).

A prompt (image + the question) and an answer (the tagged chain, `ACTION:`, the action tokens, the
end-of-sequence token); the loss covers the answer only. Styles: the model's own chat template,
OpenVLA's plain `In: ... Out: ` prompt, or the Vicuna prompt of the released ECoT checkpoint. For
the two fixed styles the image placeholder goes first, where Prismatic inserts its patches.
"""

from __future__ import annotations

from ecot_annotate.errors import EcotError

STYLES = ("chat-template", "openvla", "ecot-vicuna")
VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)
ACTION_TAG = "ACTION:"


def question(instruction: str) -> str:
    return f"What action should the robot take to {instruction.lower()}?"


def prompt_text(style: str, instruction: str, processor, image_token: str | None) -> str:
    """The text before the answer, with the image placeholder where this style puts it."""
    image = image_token or ""
    if style == "openvla":
        return f"{image}In: {question(instruction)}\nOut: "
    if style == "ecot-vicuna":
        return f"{image}{VICUNA_SYSTEM} USER: {question(instruction)} ASSISTANT: "
    if style == "chat-template":
        if not getattr(processor, "chat_template", None):
            raise EcotError(
                "the base model's processor has no chat template; pass --prompt-style openvla or ecot-vicuna"
            )
        messages = [
            {
                "role": "user",
                "content": [{"type": "image"}, {"type": "text", "text": question(instruction)}],
            }
        ]
        return processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    raise EcotError(f"unknown prompt style {style!r}; choose from {', '.join(STYLES)}")


def adds_special_tokens(style: str) -> bool:
    """Chat templates write their own BOS; the fixed styles rely on the tokenizer's."""
    return style != "chat-template"


def answer_text(chain: str) -> str:
    """The text part of the answer; the action ids and EOS follow it as ids."""
    return f"{chain} {ACTION_TAG}" if chain else ACTION_TAG


def inference_prefill(style: str) -> str:
    """Answer text the prompt already holds at inference: the ECoT checkpoint is prompted with `TASK:`."""
    return "TASK:" if style == "ecot-vicuna" else ""
