"""Tiny random Grounding DINO, OWLv2 and SAM built from small configs and saved to a folder.

They load through the same `from_pretrained` path as the real checkpoints; their answers are
random, which is all the tests need (shapes, plumbing, thresholds, bad input). Character-level
tokenizers cover any word, so every phrase has its own tokens.
"""

from __future__ import annotations

import string
from pathlib import Path

_CHARS = string.ascii_lowercase + string.digits + "'"
SIZE = 64  # pixels the tiny image processors resize to


def _bert_vocab() -> list[str]:
    return (
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ","]
        + list(_CHARS)
        + ["##" + c for c in _CHARS]
    )


def tiny_layers(width: int = 32, layers: int = 1) -> dict[str, int]:
    """The size of every tiny transformer here: width, feed-forward width, layers, heads."""
    return {
        "hidden_size": width,
        "intermediate_size": width + 5,
        "num_hidden_layers": layers,
        "num_attention_heads": max(2, width // 32),
    }


def encoder_and_decoder(**sizes: int) -> dict[str, int]:
    """The same sizes for both halves of an encoder-decoder: `layers=1` sets encoder_layers and
    decoder_layers, so the two cannot drift apart."""
    return {
        f"{part}_{name}": value for part in ("encoder", "decoder") for name, value in sizes.items()
    }


def tiny_llama(vocab_size: int, width: int = 32, **token_ids: int):
    """A random one-layer Llama causal LM (seeded), for chat servers and generation tests."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=vocab_size, **tiny_layers(width), num_key_value_heads=2, **token_ids
    )
    return LlamaForCausalLM(config)


def grounding_dino(
    folder: Path, size: int = SIZE, width: int = 32, layers: int = 1, full: bool = False
) -> Path:
    """Random weights; `full` is Grounding DINO-T's own architecture at its own input size."""
    import torch
    from transformers import (
        BertConfig,
        BertTokenizerFast,
        GroundingDinoConfig,
        GroundingDinoForObjectDetection,
        GroundingDinoImageProcessor,
        GroundingDinoProcessor,
        SwinConfig,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = _bert_vocab()
    (folder / "vocab.txt").write_text("\n".join(vocab))
    torch.manual_seed(0)
    if full:
        config = GroundingDinoConfig(text_config=BertConfig(vocab_size=len(vocab)))
        size_spec = {"shortest_edge": 800, "longest_edge": 1333}
    else:
        heads = [max(1, width // 32)] * 4
        backbone = SwinConfig(
            image_size=size,
            embed_dim=width // 2,
            depths=[layers] * 4,
            num_heads=heads,
            window_size=4,
            out_features=["stage2", "stage3", "stage4"],
        )
        text = BertConfig(vocab_size=len(vocab), **tiny_layers(width, layers))
        config = GroundingDinoConfig(
            backbone_config=backbone,
            text_config=text,
            d_model=width,
            **encoder_and_decoder(layers=layers, ffn_dim=width, attention_heads=2),
            num_queries=20,
            num_feature_levels=3,  # no extra 1x1 level: GroupNorm needs more than one value per group
            decoder_bbox_embed_share=False,
            max_text_len=64,
        )
        size_spec = {"shortest_edge": size, "longest_edge": size}
    GroundingDinoForObjectDetection(config).save_pretrained(folder)
    tokenizer = BertTokenizerFast(vocab=str(folder / "vocab.txt"))
    GroundingDinoProcessor(GroundingDinoImageProcessor(size=size_spec), tokenizer).save_pretrained(
        folder
    )
    return folder


def owlv2(folder: Path) -> Path:
    import torch
    from transformers import (
        CLIPTokenizer,
        Owlv2Config,
        Owlv2ForObjectDetection,
        Owlv2ImageProcessor,
        Owlv2Processor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<|endoftext|>": 0, "<|startoftext|>": 1}  # OWL masks queries whose first id is 0
    for c in _CHARS + ".,":
        vocab[c] = len(vocab)
        vocab[c + "</w>"] = len(vocab)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=24)
    torch.manual_seed(0)
    config = Owlv2Config(
        text_config={
            "vocab_size": len(vocab),
            **tiny_layers(),
            "max_position_embeddings": 24,
            "bos_token_id": 1,
            "eos_token_id": 0,
            "pad_token_id": 0,
        },
        vision_config={
            **tiny_layers(),
            "image_size": SIZE,
            "patch_size": 16,
        },
        projection_dim=32,
    )
    Owlv2ForObjectDetection(config).save_pretrained(folder)
    Owlv2Processor(
        Owlv2ImageProcessor(size={"height": SIZE, "width": SIZE}), tokenizer
    ).save_pretrained(folder)
    return folder


def sam(folder: Path) -> Path:
    import torch
    from transformers import (
        SamConfig,
        SamImageProcessor,
        SamMaskDecoderConfig,
        SamModel,
        SamProcessor,
        SamPromptEncoderConfig,
        SamVisionConfig,
    )

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    config = SamConfig(
        vision_config=SamVisionConfig(
            hidden_size=32,
            output_channels=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            image_size=SIZE,
            patch_size=8,
            mlp_dim=37,
            window_size=4,
            global_attn_indexes=[0],
            num_pos_feats=16,
        ),
        prompt_encoder_config=SamPromptEncoderConfig(
            hidden_size=32, image_size=SIZE, patch_size=8, mask_input_channels=4
        ),
        mask_decoder_config=SamMaskDecoderConfig(
            hidden_size=32,
            mlp_dim=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            iou_head_hidden_dim=16,
        ),
    )
    SamModel(config).save_pretrained(folder)
    processor = SamImageProcessor(
        size={"longest_edge": SIZE},
        pad_size={"height": SIZE, "width": SIZE},
        mask_size={"longest_edge": 16},
        mask_pad_size={"height": 16, "width": 16},
    )
    SamProcessor(processor).save_pretrained(folder)
    return folder
