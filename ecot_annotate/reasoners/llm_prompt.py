"""Fill the LLM prompt templates' $placeholders for one episode (the files: prompt_texts)."""

from __future__ import annotations

import json
from typing import Any

from ecot_annotate.prompt_texts import PromptSet


def user_message(prompts: PromptSet, episode_input: dict[str, Any]) -> str:
    n_steps = int(episode_input["n_steps"])
    return prompts.user.substitute(
        n_steps=n_steps,
        last_step=n_steps - 1,
        episode=json.dumps(episode_input, separators=(",", ":")),
    ).strip()


def repair_message(prompts: PromptSet, problems: list[str], n_steps: int) -> str:
    listed = "\n".join(f"- {p}" for p in problems)
    return prompts.repair.substitute(problems=listed, last_step=n_steps - 1).strip()
