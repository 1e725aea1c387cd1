"""Training throughput of the tiny LLaVA preset on the Bridge sample, on the CPU with one thread
(a model this small gains nothing from a GPU; a full-size LoRA figure needs one and is not measured).

Baseline: bare forward/backward/AdamW on one pre-built batch (the model's compute alone). Compared
with it: the full trainer (streaming Parquet, image processing, tokenization, accelerate), with an
action-only answer and with the full reasoning chain.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.results import Row

BATCH, STEPS = 16, 40


def _annotated_run(tmp: Path) -> Path:
    from ecot_annotate.config import AnnotateConfig
    from pipelines.run import run

    bridge = (
        Path(__file__).resolve().parents[1].parent / "shared/data/bridge_debug/bridge_dataset/1.0.0"
    )
    if (bridge / "dataset_info.json").is_file():
        run(AnnotateConfig(input=str(bridge), out=str(tmp / "run")))
    else:
        from ecot_annotate.sample.generate import write_sample

        run(
            AnnotateConfig(
                input=str(write_sample(tmp / "sample", episodes=8, seed=0)),
                out=str(tmp / "run"),
                profile="ecot_sample",
            )
        )
    return tmp / "run"


def _bare_samples_per_s(model_dir: Path, run: Path) -> float:
    from ecot_annotate.train.action_tokens import ActionStats, ActionTokenizer
    from ecot_annotate.train.data import Shards
    from ecot_annotate.train.encode import ExampleEncoder, collate
    from ecot_annotate.train.model import image_token_of, load_model, load_processor

    shards = Shards(run)
    processor, model = load_processor(str(model_dir)), load_model(str(model_dir))
    actions = ActionTokenizer.for_tokenizer(
        "openvla", ActionStats.from_actions(shards.actions()), processor.tokenizer
    )
    encoder = ExampleEncoder(processor, "openvla", image_token_of(processor), actions)
    rows = [r for _, r in zip(range(BATCH), shards.rows(), strict=False)]
    batch = collate(
        [encoder.encode(r["image"], r["instruction"], "", np.asarray(r["action"])) for r in rows],
        processor.tokenizer.pad_token_id,
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for _ in range(3):  # warm-up: first steps allocate
        model(**batch).loss.backward()
        optimizer.zero_grad()
    start = time.perf_counter()
    for _ in range(STEPS):
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return STEPS * BATCH / (time.perf_counter() - start)


def main() -> list[Row]:
    threads = torch.get_num_threads()
    torch.set_num_threads(
        1
    )  # a 0.26M-param model gains nothing from more; 2 threads on shared cores thrash
    try:
        return _measure()
    finally:
        torch.set_num_threads(threads)  # the other benchmarks run in this process


def _measure() -> list[Row]:
    from ecot_annotate.train.model import load_model
    from ecot_annotate.train.trainer import TrainConfig, train
    from tests.support.tiny_llava import build_tiny_llava, corpus

    print(f"   device: cpu (torch {torch.__version__}, 1 thread)")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        run = _annotated_run(tmp)
        model_dir = build_tiny_llava(tmp / "tiny", corpus(run))
        params = sum(p.numel() for p in load_model(str(model_dir)).parameters())
        bare = _bare_samples_per_s(model_dir, run)
        print(f"   {STEPS} steps, prompt openvla; baseline: one batch, action-only")
        rates = []
        for dropout in (1.0, 0.0):  # action-only, then the full chain
            config = TrainConfig(
                data=str(run),
                base_model=str(model_dir),
                out=str(tmp / f"ckpt{dropout}"),
                max_steps=STEPS,
                batch_size=BATCH,
                lr=1e-3,
                prompt_style="openvla",
                reasoning_dropout=dropout,
                log_every=STEPS,
                save_every=10**9,
                progress=False,
            )
            rates.append(train(config)["samples_per_s"])
    return [
        Row(
            f"training, tiny LLaVA ({params / 1e6:.2f}M params), batch {BATCH}, CPU, 1 thread",
            f"bare forward/backward {bare:.0f} samples/s",
            f"trainer action-only {rates[0]:.0f}; full chain {rates[1]:.0f} samples/s",
            f"{rates[0] / bare:.2f}x; {rates[1] / bare:.2f}x",
        )
    ]
