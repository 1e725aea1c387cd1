"""Fill the LLM prompt templates' $placeholders for one episode (the files: prompt_texts)."""

from __future__ import annotations

import json
from typing import Any

from ecot_annotate.prompt_texts import PromptSet


def user_message(prompts: PromptSet, episode_input: dict[str, Any], notes: str = "") -> str:
    """`notes`: the rule writer's notes on each move, for the edit prompt (the write prompt has no
    place for them)."""
    n_moves = len(episode_input["moves"])
    return prompts.user.substitute(
        n_moves=n_moves,
        last_move=n_moves - 1,
        episode=json.dumps(episode_input, separators=(",", ":")),
        notes=notes,
    ).strip()


def _listed(problems: list[str]) -> str:
    return "\n".join(f"- {p}" for p in problems)


def repair_message(prompts: PromptSet, problems: list[str], n_moves: int) -> str:
    return prompts.repair.substitute(problems=_listed(problems), n_moves=n_moves).strip()


def fields_message(prompts: PromptSet, problems: dict[str, str]) -> str:
    """Ask again for only the texts named in `problems` (key -> what is wrong with it)."""
    return prompts.fields.substitute(
        problems=_listed([f"{key}: {problem}" for key, problem in problems.items()]),
        keys=", ".join(f'"{key}"' for key in problems),
    ).strip()
