"""Load the LLM prompt templates from prompts/ and fill their $placeholders.

Templates are plain text files named `<name>_<version>.<part>.txt` (system, user, repair). Their
hash, together with the answer schema's, goes into every annotation's provenance, so a changed
prompt is visible in the output and invalidates the LLM cache.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from string import Template
from typing import Any

from ecot_annotate.resources import resource_path

PROMPT = "reasoning_v1"
ANSWER_SCHEMA = "llm_answer.json"
PARTS = ("system", "user", "repair")


@dataclass(frozen=True)
class PromptSet:
    name: str
    system: str
    user: Template
    repair: Template
    schema: dict[str, Any]
    hash: str  # sha256 of every template and the schema, first 16 hex digits


@cache
def load_prompts(name: str = PROMPT) -> PromptSet:
    texts = {part: resource_path("prompts", f"{name}.{part}.txt").read_text() for part in PARTS}
    schema_text = resource_path("schemas", ANSWER_SCHEMA).read_text()
    digest = hashlib.sha256()
    for part in PARTS:
        digest.update(texts[part].encode() + b"\0")
    digest.update(schema_text.encode())
    return PromptSet(
        name=name,
        system=texts["system"].strip(),
        user=Template(texts["user"]),
        repair=Template(texts["repair"]),
        schema=json.loads(schema_text),
        hash=digest.hexdigest()[:16],
    )


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
