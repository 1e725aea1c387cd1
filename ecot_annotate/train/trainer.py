# Long file: the training loop reads top to bottom in one file, as nanoGPT's train.py does.
"""The training loop, top to bottom: config, data, model, loop, log, checkpoint.

`train(config)` is the library entry point (the CLI only builds a TrainConfig, `train/config.py`). It runs under
`accelerate` so the same code trains on a CPU, one GPU, or many with `accelerate launch` / torchrun
(DDP or FSDP as `accelerate config` says), with mixed precision and gradient accumulation.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ecot_annotate.errors import EcotError
from ecot_annotate.store.frames import RowFrames
from ecot_annotate.train.action_tokens import ActionStats, ActionTokenizer
from ecot_annotate.train.chain_text import training_chain
from ecot_annotate.train.config import TrainConfig
from ecot_annotate.train.data import Shards, shuffled_forever, split_episodes
from ecot_annotate.train.encode import ExampleEncoder, collate
from ecot_annotate.train.metrics import ActionHits, action_hits
from ecot_annotate.train.model import (
    PolicySpec,
    add_action_tokens,
    apply_lora,
    image_token_of,
    load_model,
    load_processor,
    model_input_size,
    resolve_model,
    save_checkpoint,
)

log = logging.getLogger(__name__)
STATE_DIR = "state"  # optimizer, scheduler, RNG and weights for --resume
TRAINER_STATE = "trainer_state.json"


class StepStream(torch.utils.data.IterableDataset):
    """Encoded training examples, streamed and shuffled from the shards, with reasoning dropout."""

    def __init__(
        self,
        shards: Shards,
        keys: list[str],
        encoder: ExampleEncoder,
        spec: PolicySpec,
        buffer: int,
        seed: int,
    ):
        self.shards, self.keys, self.encoder, self.spec, self.buffer, self.seed = (
            shards,
            keys,
            encoder,
            spec,
            buffer,
            seed,
        )

    def __iter__(self):
        rng = np.random.default_rng(self.seed)
        size = tuple(self.spec.model_input_size) if self.spec.model_input_size else None
        frames = RowFrames()
        for row in shuffled_forever(self.shards, self.keys, self.buffer, rng):
            chain = ""
            if self.spec.reasoning:
                image_size = (row["image_width"], row["image_height"])
                chain = training_chain(
                    row.get("chain") or "", image_size, size, self.spec.reasoning_dropout, rng
                )
            yield self.encoder.encode(
                frames.frame(row), row["instruction"], chain, np.asarray(row["action"])
            )


def _checkpoint_step(out: Path) -> int | None:
    path = out / TRAINER_STATE
    return json.loads(path.read_text())["step"] if path.is_file() else None


def _prepare_spec(config: TrainConfig, shards: Shards, processor, notes: list[str]) -> PolicySpec:
    """Settings, episode split and action statistics: fresh, or the saved ones on --resume."""
    out = Path(config.out)
    if config.resume:
        spec = PolicySpec.load(out)
        asked = (config.prompt_style, config.action_tokens, config.lora_rank)
        if (spec.prompt_style, spec.action_scheme, spec.lora_rank) != asked:
            raise EcotError(
                f"{out} was trained with prompt style {spec.prompt_style}, actions {spec.action_scheme}, LoRA rank {spec.lora_rank}; resume with the same settings"
            )
        return spec
    train_keys, heldout = split_episodes(shards.episode_keys(), config.holdout_episodes)
    reasoning = shards.has_reasoning(train_keys)
    if not reasoning:
        notes.append(
            f"{config.data} has no reasoning chains: training action-only (the answer is `ACTION:` and the action tokens)"
        )
    size = model_input_size(processor)
    return PolicySpec(
        base_model=config.base_model,
        prompt_style=config.prompt_style,
        action_scheme=config.action_tokens,
        action_stats=ActionStats.from_actions(shards.actions(train_keys)).to_dict(),
        image_token=image_token_of(processor),
        model_input_size=list(size) if size else None,
        reasoning=reasoning,
        reasoning_dropout=config.reasoning_dropout,
        lora_rank=config.lora_rank,
        trust_remote_code=config.trust_remote_code,
        data=str(config.data),
        train_episodes=train_keys,
        heldout_episodes=heldout,
    )


def _metrics_writer(out: Path):
    """TensorBoard when installed; the JSONL file is always written."""
    try:
        from torch.utils.tensorboard import SummaryWriter

        return SummaryWriter(str(out / "tensorboard"))
    except ImportError:
        return None


def train(config: TrainConfig) -> dict[str, Any]:
    """Fine-tune `config.base_model` on `config.data` into `config.out`; return a summary."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from tqdm.auto import tqdm
    from transformers import get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup

    config.check()
    out = Path(config.out)
    done = _checkpoint_step(out)
    if done is not None and not config.resume:
        raise EcotError(
            f"{out} already holds a checkpoint at step {done}; pass --resume to continue it or choose another --out"
        )
    if config.resume and (done is None or not (out / STATE_DIR).is_dir()):
        raise EcotError(
            f"--resume: {out} holds no resumable checkpoint ({TRAINER_STATE} and {STATE_DIR}/)"
        )
    accelerator = Accelerator(
        mixed_precision=config.mixed_precision, gradient_accumulation_steps=config.grad_accum
    )
    set_seed(config.seed)
    notes: list[str] = []

    # data and settings
    shards = Shards(config.data)
    base = resolve_model(config.base_model)
    processor = load_processor(base, config.trust_remote_code)
    spec = _prepare_spec(config, shards, processor, notes)
    for note in notes:
        log.warning(note)

    # model
    model = load_model(base, config.trust_remote_code)
    add_action_tokens(spec.action_scheme, model, processor)
    if config.lora_rank:
        model = apply_lora(model, config.lora_rank, spec.action_scheme)
    actions = ActionTokenizer.for_tokenizer(spec.action_scheme, spec.stats(), processor.tokenizer)
    encoder = ExampleEncoder(
        processor, spec.prompt_style, spec.image_token, actions, model.config.model_type
    )
    pad_id = (
        processor.tokenizer.pad_token_id
        if processor.tokenizer.pad_token_id is not None
        else processor.tokenizer.eos_token_id
    )
    start_step = done or 0
    stream = StepStream(
        shards, spec.train_episodes, encoder, spec, config.shuffle_buffer, config.seed + start_step
    )
    loader = torch.utils.data.DataLoader(
        stream, batch_size=config.batch_size, collate_fn=lambda b: collate(b, pad_id)
    )

    # optimisation
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    total = (
        config.max_steps * accelerator.num_processes
    )  # the prepared scheduler steps once per process
    warmup = config.warmup_steps * accelerator.num_processes
    if config.schedule == "cosine":
        scheduler = get_cosine_schedule_with_warmup(optimizer, warmup, total)
    else:
        scheduler = get_constant_schedule_with_warmup(optimizer, warmup)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)
    if config.resume:
        accelerator.load_state(str(out / STATE_DIR))

    def save(step: int) -> None:
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            save_checkpoint(accelerator.unwrap_model(model), processor, spec, out)
        accelerator.save_state(str(out / STATE_DIR))
        if accelerator.is_main_process:
            (out / TRAINER_STATE).write_text(
                json.dumps({"step": step, "config": asdict(config)}, indent=2)
            )

    # loop
    out.mkdir(parents=True, exist_ok=True)
    writer = _metrics_writer(out) if accelerator.is_main_process else None
    metrics_file = (out / "metrics.jsonl").open("a") if accelerator.is_main_process else None
    action_ids = torch.as_tensor(actions.token_ids)
    step, window_loss, window_batches, window_samples, window_hits = (
        start_step,
        0.0,
        0,
        0,
        ActionHits(),
    )
    first_loss = last_record = None
    started = window_start = time.perf_counter()
    samples_total = 0
    bar = tqdm(
        total=config.max_steps,
        initial=step,
        desc="train",
        unit="step",
        disable=not (config.progress and accelerator.is_main_process),
    )
    batches = iter(loader)
    model.train()
    while step < config.max_steps:
        with accelerator.accumulate(model):
            batch = next(batches)
            output = model(**batch)
            accelerator.backward(output.loss)
            if accelerator.sync_gradients and config.max_grad_norm:
                accelerator.clip_grad_norm_(params, config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
        n = batch["input_ids"].shape[0]
        window_loss += float(output.loss.detach())
        window_batches += 1
        window_samples += n
        samples_total += n
        window_hits.add(action_hits(output.logits.detach(), batch["labels"], action_ids))
        if not accelerator.sync_gradients:
            continue
        step += 1
        bar.update(1)
        if step % config.log_every == 0 or step == config.max_steps:
            elapsed = time.perf_counter() - window_start
            record = {
                "step": step,
                "loss": window_loss / window_batches,
                "action_accuracy": window_hits.accuracy,
                "first_action_accuracy": window_hits.first_accuracy,
                "lr": scheduler.get_last_lr()[0],
                "samples_per_s": window_samples * accelerator.num_processes / max(elapsed, 1e-9),
            }
            first_loss = record["loss"] if first_loss is None else first_loss
            last_record = record
            bar.set_postfix(
                loss=f"{record['loss']:.3f}",
                act=f"{record['action_accuracy']:.2f}",
                sps=f"{record['samples_per_s']:.1f}",
            )
            if metrics_file:
                metrics_file.write(json.dumps(record) + "\n")
                metrics_file.flush()
            if writer:
                for key, value in record.items():
                    if key != "step":
                        writer.add_scalar(f"train/{key}", value, step)
            window_loss, window_batches, window_samples, window_hits, window_start = (
                0.0,
                0,
                0,
                ActionHits(),
                time.perf_counter(),
            )
        if step % config.save_every == 0 or step == config.max_steps:
            save(step)
    bar.close()
    if metrics_file:
        metrics_file.close()
    if writer:
        writer.close()
    if step == start_step:
        notes.append(
            f"{out} was already trained to step {step}; nothing to do (raise --max-steps to continue)"
        )
    wall = time.perf_counter() - started
    return {
        "out": str(out),
        "steps": step,
        "start_step": start_step,
        "first_loss": first_loss,
        "last": last_record,
        "samples_per_s": samples_total * accelerator.num_processes / wall if samples_total else 0.0,
        "action_only": not spec.reasoning,
        "train_episodes": len(spec.train_episodes),
        "heldout_episodes": len(spec.heldout_episodes),
        "notes": notes,
        "wall_seconds": wall,
    }
