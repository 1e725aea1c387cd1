"""A tiny random LLaVA-style model (CLIP vision + small Llama) with a tokenizer trained locally.

nanoGPT keeps a CPU-sized preset that doubles as a smoke test; this is ours. No weights are
downloaded: the tokenizer is a byte-level BPE trained on the texts it will see, and the model is
randomly initialised from configs. Tests and benchmarks train it on CPU in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")
IMAGE_TOKEN = "<image>"
# Vicuna-like: the user turn carries the image, the assistant turn is left open for the answer.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['role'] == 'user' %}USER: {% for c in m['content'] %}"
    "{% if c['type'] == 'image' %}<image>{% else %}{{ c['text'] }}{% endif %}{% endfor %} "
    "{% else %}ASSISTANT: {% for c in m['content'] %}{{ c['text'] }}{% endfor %}{{ eos_token }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)


def train_tokenizer(
    texts: Iterable[str],
    bpe_vocab: int = 512,
    reserved_tail: int = 256,
    image_token: str | None = IMAGE_TOKEN,
):
    """Byte-level BPE on `texts`, then `reserved_tail` never-produced ids at the end of the base
    vocabulary: like Llama's rarely used tail, they are what the OpenVLA action scheme overwrites."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=bpe_vocab,
        special_tokens=list(SPECIALS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer)
    vocab = bpe.get_vocab()
    for k in range(reserved_tail):
        vocab[f"<unused_{k}>"] = len(vocab)
    merges = (
        [tuple(m) for m in bpe.model.get_merges()]
        if hasattr(bpe.model, "get_merges")
        else _merges(bpe)
    )
    full = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>"))
    full.pre_tokenizer = bpe.pre_tokenizer
    full.decoder = bpe.decoder
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=full,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )
    tokenizer.add_bos_token = True
    if image_token:
        tokenizer.add_special_tokens({"additional_special_tokens": [image_token]})
    return tokenizer


def _merges(tokenizer) -> list[tuple[str, str]]:
    import json

    model = json.loads(tokenizer.to_str())["model"]
    return [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]


def build_tiny_llava(
    out: str | Path,
    texts: Iterable[str],
    image_size: int = 64,
    patch_size: int = 16,
    vision_hidden: int = 64,
    vision_layers: int = 2,
    hidden: int = 64,
    layers: int = 2,
    seed: int = 0,
    image_token: str | None = IMAGE_TOKEN,
) -> Path:
    """Save a random LlavaForConditionalGeneration and its processor to `out`; return the folder."""
    import torch
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    out = Path(out)
    tokenizer = train_tokenizer(texts, image_token=image_token)
    vision = CLIPVisionConfig(
        hidden_size=vision_hidden,
        intermediate_size=2 * vision_hidden,
        num_hidden_layers=vision_layers,
        num_attention_heads=2,
        image_size=image_size,
        patch_size=patch_size,
        projection_dim=vision_hidden,
    )
    text = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    image_token_id = (
        tokenizer.convert_tokens_to_ids(image_token) if image_token else tokenizer.unk_token_id
    )
    config = LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_id=image_token_id,
        vision_feature_layer=-1,
        vision_feature_select_strategy="default",
    )
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config)
    model.save_pretrained(out)
    image_processor = CLIPImageProcessor(
        size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size}
    )
    # Without `image_token` the tokenizer lacks "<image>", the processor's default placeholder.
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=patch_size,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=CHAT_TEMPLATE,
    )
    processor.save_pretrained(out)
    return out


def corpus(data: str | Path) -> list[str]:
    """What the tiny tokenizer learns from: a run's chains and instructions, and the fixed prompts."""
    from ecot_annotate.store.run_output import open_steps
    from ecot_annotate.train.prompt_styles import VICUNA_SYSTEM, question

    dataset = open_steps(data)
    columns = [c for c in ("chain", "instruction") if c in dataset.schema.names]
    table = dataset.to_table(columns=columns)
    texts = [t for c in columns for t in table.column(c).to_pylist() if t]
    instructions = table.column("instruction").to_pylist() if "instruction" in columns else []
    prompts = [f"In: {question(i)}\nOut: ACTION:" for i in instructions[:1000]]
    return [*texts, *prompts, f"{VICUNA_SYSTEM} USER: ASSISTANT: TASK:"]
