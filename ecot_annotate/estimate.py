"""What a run would cost, before it runs: episodes, steps, detector frames, LLM requests and tokens.

Steps come from the dataset's metadata where it has them, else from the mean length of the few
episodes read, times the episode count. Prompt tokens are counted on the real prompt built for
those episodes; completion tokens on the rule reasoner's text in the answer shape the prompt asks
for (what a model writes is of that size). Tokens are counted with the model's own tokenizer when
the model is a local folder, else approximated as one token per 4 characters (the usual figure for
English and JSON in BPE vocabularies). Time uses the rates `make bench` last measured on this
machine (bench-results/rates.json), and says so where there are none.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.geometry.motion import episode_primitives
from ecot_annotate.reasoners import REASONERS

CHARS_PER_TOKEN = 4
RATES_ENV = "ECOT_ANNOTATE_RATES"
RATES_FILE = Path("bench-results") / "rates.json"


@dataclass
class Estimate:
    episodes: int
    steps: int
    steps_exact: bool  # False: the mean length of the episodes read, times the episode count
    episodes_read: int
    detector_frames: int
    llm_requests: int
    prompt_tokens: int
    completion_tokens: int
    token_count: str  # which tokenizer counted, or the approximation used
    seconds: dict[str, float | None] = field(default_factory=dict)
    rates: str = "none measured"  # where the rates came from


def rates_path() -> Path:
    return Path(os.environ.get(RATES_ENV) or RATES_FILE)


def read_rates(path: Path | None = None) -> dict:
    """The rates `make bench` wrote ({name: value, "machine": ..., "measured_at": ...}) or {}."""
    path = path or rates_path()
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def token_counter(model: str | None) -> tuple[Callable[[str], int], str]:
    """Count with the model's tokenizer when it is a local folder, else by characters."""
    if model and Path(model, "tokenizer_config.json").is_file():
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model)
        return (lambda text: len(tokenizer.encode(text))), f"tokenizer of {model}"
    return (
        lambda text: -(-len(text) // CHARS_PER_TOKEN)
    ), f"approximate: {CHARS_PER_TOKEN} characters per token"


def _llm_texts(episode: Episode) -> tuple[str, str]:
    """(prompt, a completion of the expected size) for one episode."""
    from ecot_annotate.prompt_texts import load_prompts
    from ecot_annotate.reasoners.answer_text import answer_text
    from ecot_annotate.reasoners.llm_input import episode_input
    from ecot_annotate.reasoners.llm_prompt import user_message
    from ecot_annotate.reasoners.rules import RuleReasoner

    prompts = load_prompts()
    annotation = Annotation(arm_primitives=episode_primitives(episode.arms))
    prompt = prompts.system + "\n" + user_message(prompts, episode_input(episode, annotation))
    reasoned = RuleReasoner().reason(episode, annotation)
    return prompt, answer_text(reasoned.reasoning)


def estimate(
    config: AnnotateConfig,
    episodes: int,
    read: list[Episode],
    steps: int | None = None,
    rates: dict | None = None,
) -> Estimate:
    """Scale what the `read` episodes need up to `episodes` (or `steps`, when known)."""
    mean_steps = sum(e.n_steps for e in read) / len(read) if read else 0.0
    total_steps = steps if steps is not None else round(mean_steps * episodes)
    from ecot_annotate import stages

    planned = stages.steps(config)
    batched_frames = any(s.work is stages.Work.BATCH and s.frames.every_step for s in planned)
    llm = REASONERS.get(config.reasoner).uses_llm
    prompt = completion = 0
    method = "no LLM requests"
    if llm and read:
        count, method = token_counter(config.llm.model)
        texts = [_llm_texts(e) for e in read]
        prompt = round(sum(count(p) for p, _ in texts) / len(read) * episodes)
        completion = round(sum(count(c) for _, c in texts) / len(read) * episodes)
    rates = rates or {}
    frames = total_steps if batched_frames else 0

    def at(rate_name: str, amount: int) -> float | None:
        rate = rates.get(rate_name)
        return round(amount / rate, 1) if rate and amount else (0.0 if not amount else None)

    seconds = {
        "pipeline": at("offline_steps_per_s", total_steps),
        "detector": at("detector_frames_per_s", frames),
        "llm": at("llm_requests_per_s", episodes if llm else 0),
    }
    source = (
        f"make bench on {rates.get('machine', 'this machine')} at {rates.get('measured_at', '?')}"
        if rates
        else f"none measured on this machine (`make bench` in a source checkout measures them; "
        f"{RATES_ENV}=FILE reads them)"
    )
    return Estimate(
        episodes=episodes,
        steps=total_steps,
        steps_exact=steps is not None,
        episodes_read=len(read),
        detector_frames=frames,
        llm_requests=episodes if llm else 0,
        prompt_tokens=prompt,
        completion_tokens=completion,
        token_count=method,
        seconds=seconds,
        rates=source,
    )


def dry_run(config: AnnotateConfig) -> tuple[Estimate, dict]:
    """The estimate for `config`, and the motion thresholds the run would use.

    Plans the run as `annotate` would (the dataset's metadata and the first episodes' state and
    action, no frame); writes nothing.
    """
    from ecot_annotate.run_plan import prepare
    from ecot_annotate.sources.base import declared_episodes, episode_refs
    from ecot_annotate.sources.first_episodes import first_episodes
    from ecot_annotate.stages.motion_thresholds import CALIBRATION_EPISODES

    plan = prepare(config)
    config, dataset = plan.config, plan.dataset
    total = declared_episodes(dataset, config.limit)
    if total is None:  # no counts in the metadata: count record headers (no record is read)
        total = sum(1 for _ in episode_refs(dataset, config.limit))
        total = total if config.limit is None else min(total, config.limit)
    lengths = [getattr(e, "length", 0) for e in getattr(dataset, "episodes", [])][:total] or None
    read = list(plan.sample) or first_episodes(
        dataset, config.dataset_profile, CALIBRATION_EPISODES
    )
    result = estimate(config, total, read, sum(lengths) if lengths else None, read_rates())
    return result, plan.motion()
