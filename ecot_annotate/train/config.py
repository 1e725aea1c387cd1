"""The settings of `train`: each one field with its help, from which the CLI derives its options."""

from __future__ import annotations

from dataclasses import dataclass

from ecot_annotate.errors import InputError
from ecot_annotate.setting import setting
from ecot_annotate.train.action_tokens import SCHEMES
from ecot_annotate.train.prompt_styles import STYLES


@dataclass(frozen=True)
class TrainConfig:
    data: str = setting(help="An annotation run folder or its parquet/ folder.", argument="DATA")
    base_model: str = setting(help="Hub id or local folder of an image-text-to-text model.")
    out: str = setting(help="Checkpoint folder.")
    max_steps: int = setting(1000, help="Optimizer steps.")
    batch_size: int = setting(8, help="Per device and micro-batch.")
    grad_accum: int = setting(1, help="Micro-batches per optimizer step.")
    lr: float = setting(1e-4, help="Peak learning rate (AdamW).")
    weight_decay: float = 0.0
    warmup_steps: int = setting(0, help="Optimizer steps of linear warm-up to --lr.")
    schedule: str = setting(
        "cosine",
        help="Learning rate after warm-up: cosine decay to 0 by --max-steps, or constant.",
        choices=("cosine", "constant"),
    )
    prompt_style: str = setting(
        "chat-template",
        help="The model's own chat template, OpenVLA's 'In: ... Out:' prompt, or the released ECoT checkpoint's Vicuna prompt.",
        choices=STYLES,
    )
    action_tokens: str = setting(
        "openvla",
        help="Overwrite the vocabulary's last 256 ids, or add 256 tokens.",
        choices=SCHEMES,
    )
    reasoning_dropout: float = setting(
        0.0, help="Probability of dropping each tagged field of the chain."
    )
    lora_rank: int = setting(0, help="LoRA rank (0: full fine-tuning).")
    mixed_precision: str = setting(
        "no",
        help="Compute in 16-bit floats (through accelerate); bf16 needs a GPU that supports it.",
        choices=("no", "fp16", "bf16"),
    )
    trust_remote_code: bool = setting(
        False, help="Allow the model's own code (OpenVLA-style checkpoints)."
    )
    resume: bool = setting(False, help="Continue the checkpoint in --out with its optimizer state.")
    holdout_episodes: int = setting(
        0, help="Keep the last N episodes out of training, for `evaluate`."
    )
    save_every: int = setting(500, help="Checkpoint every N steps.")
    log_every: int = setting(10, help="Log loss and accuracy every N steps.")
    shuffle_buffer: int = 4096  # rows mixed at a time while streaming
    max_grad_norm: float = 1.0
    seed: int = setting(0, help="Seed for shuffling, dropout and init.")
    progress: bool = True

    def check(self) -> None:
        if self.prompt_style not in STYLES:
            raise InputError(
                f"unknown --prompt-style {self.prompt_style}; choose from {', '.join(STYLES)}"
            )
        if self.action_tokens not in SCHEMES:
            raise InputError(
                f"unknown --action-tokens {self.action_tokens}; choose from {', '.join(SCHEMES)}"
            )
        if not 0.0 <= self.reasoning_dropout <= 1.0:
            raise InputError("--reasoning-dropout is a probability in [0, 1]")
        if self.max_steps < 1 or self.batch_size < 1 or self.grad_accum < 1:
            raise InputError("--max-steps, --batch-size and --grad-accum must be at least 1")
