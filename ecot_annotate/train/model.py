"""Load a base vision-language model and its processor, give it action tokens and LoRA, and save
or reload a trained checkpoint with what `predict` needs to use it (`ecot_policy.json`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ecot_annotate.backends.hub import download_command, why_not_downloaded
from ecot_annotate.errors import EcotError, InputError, MissingWeightsError
from ecot_annotate.train.action_tokens import (
    N_BINS,
    ActionStats,
    ActionTokenizer,
    added_token_names,
)

POLICY_FILE = "ecot_policy.json"


@dataclass
class PolicySpec:
    """Everything besides the weights that turns a checkpoint back into a policy."""

    base_model: str
    prompt_style: str
    action_scheme: str
    action_stats: dict
    image_token: str | None
    model_input_size: list[int] | None  # (width, height) the chain's pixel coordinates refer to
    reasoning: bool  # False: trained action-only (the shards had no chains)
    reasoning_dropout: float = 0.0
    lora_rank: int = 0
    trust_remote_code: bool = False
    data: str = ""
    train_episodes: list[str] = field(default_factory=list)
    heldout_episodes: list[str] = field(default_factory=list)

    def save(self, folder: str | Path) -> None:
        Path(folder, POLICY_FILE).write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, folder: str | Path) -> PolicySpec:
        path = Path(folder, POLICY_FILE)
        if not path.is_file():
            raise InputError(
                f"{folder} is not a checkpoint of `ecot-annotate train` (no {POLICY_FILE})"
            )
        return cls(**json.loads(path.read_text()))

    def stats(self) -> ActionStats:
        return ActionStats(**self.action_stats)


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name


def resolve_model(name: str) -> str:
    """A local folder as given, or a hub id; a path that does not exist is an error, not a hub lookup."""
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise InputError(
                f"--base-model {name} is a file; pass the model folder (with config.json) or a hub id"
            )
        return str(path)
    if _looks_like_path(name):
        raise InputError(
            f"--base-model {name} does not exist; pass a local model folder or a hub id such as llava-hf/llava-1.5-7b-hf"
        )
    return name


def _from_pretrained(loader, name: str, trust_remote_code: bool, what: str):
    try:
        return loader.from_pretrained(name, trust_remote_code=trust_remote_code)
    except OSError as exc:
        if Path(name).is_dir():
            raise InputError(f"cannot load the {what} from {name}: {exc}") from exc
        raise MissingWeightsError(
            f"the {what} of '{name}' is not on this machine and {why_not_downloaded(exc)}; "
            f"download it with `{download_command(name)}` on a networked machine, or pass a local folder"
        ) from exc


def image_token_of(processor) -> str | None:
    """The processor's image placeholder, when the tokenizer knows it as one token."""
    token = getattr(processor, "image_token", None)
    tokenizer = getattr(processor, "tokenizer", None)
    if not token or tokenizer is None:
        return None
    return token if token in tokenizer.get_vocab() else None


def load_processor(name: str, trust_remote_code: bool = False):
    from transformers import AutoProcessor

    processor = _from_pretrained(AutoProcessor, name, trust_remote_code, "processor")
    if (
        getattr(processor, "image_processor", None) is None
        or getattr(processor, "tokenizer", None) is None
    ):
        raise EcotError(
            f"'{name}' has no image-text processor (got {type(processor).__name__}); the trainer needs an image-text-to-text model"
        )
    if image_token_of(processor) is None and not trust_remote_code:
        raise EcotError(
            f"the processor of '{name}' has no image token in its tokenizer (image_token="
            f"{getattr(processor, 'image_token', None)!r}); the trainer needs a model whose processor places image "
            "tokens in the text (LLaVA, PaliGemma, Idefics3/SmolVLM, Qwen2.5-VL)"
        )
    return processor


def load_model(name: str, trust_remote_code: bool = False):
    from transformers import AutoModelForImageTextToText

    return _from_pretrained(AutoModelForImageTextToText, name, trust_remote_code, "model")


def model_input_size(processor) -> tuple[int, int] | None:
    """(width, height) of the image the model sees, or None for dynamic-resolution processors."""
    ip = processor.image_processor

    def get(spec, key):
        return getattr(spec, key, None) if not isinstance(spec, dict) else spec.get(key)

    crop, size = getattr(ip, "crop_size", None), getattr(ip, "size", None)
    if getattr(ip, "do_center_crop", False) and crop is not None and get(crop, "height"):
        return int(get(crop, "width")), int(get(crop, "height"))
    if size is not None and get(size, "height") and get(size, "width"):
        return int(get(size, "width")), int(get(size, "height"))
    return None


def add_action_tokens(scheme: str, model, processor) -> None:
    """`added`: 256 new tokens and a resized embedding. `openvla`: check the vocabulary tail is free."""
    tokenizer = processor.tokenizer
    if scheme == "added":
        tokenizer.add_tokens(added_token_names(), special_tokens=True)
        model.resize_token_embeddings(len(tokenizer))
        return
    tail = set(range(tokenizer.vocab_size - N_BINS, tokenizer.vocab_size))
    clash = sorted(tail & set(tokenizer.all_special_ids))
    if tokenizer.vocab_size <= N_BINS or clash:
        raise EcotError(
            f"the OpenVLA action scheme overwrites the last {N_BINS} ids of the vocabulary, but ids {clash} there are special tokens; use --action-tokens added"
        )


def apply_lora(model, rank: int, scheme: str):
    """LoRA on every linear layer; with added tokens the embeddings train in full too."""
    from peft import LoraConfig, get_peft_model

    names = {
        n
        for n, m in model.named_modules()
        if m is model.get_input_embeddings() or m is model.get_output_embeddings()
    }
    config = LoraConfig(
        r=rank,
        lora_alpha=min(rank, 16),  # OpenVLA's setting
        lora_dropout=0.0,
        target_modules="all-linear",
        modules_to_save=sorted(n.rsplit(".", 1)[-1] for n in names) if scheme == "added" else None,
        ensure_weight_tying=scheme == "added",  # tied input/output embeddings stay tied
    )
    return get_peft_model(model, config)


def save_checkpoint(model, processor, spec: PolicySpec, out: str | Path) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    spec.save(out)


def load_policy(ckpt: str | Path, device: str = "cpu"):
    """(model in eval mode, processor, spec, action tokenizer) from a checkpoint folder."""
    spec = PolicySpec.load(ckpt)
    processor = load_processor(str(ckpt), spec.trust_remote_code)
    if spec.lora_rank:
        from peft import PeftModel

        base = load_model(resolve_model(spec.base_model), spec.trust_remote_code)
        if spec.action_scheme == "added":
            base.resize_token_embeddings(len(processor.tokenizer))
        model = PeftModel.from_pretrained(base, str(ckpt)).merge_and_unload()
    else:
        model = load_model(str(ckpt), spec.trust_remote_code)
    actions = ActionTokenizer.for_tokenizer(spec.action_scheme, spec.stats(), processor.tokenizer)
    return model.to(device).eval(), processor, spec, actions
