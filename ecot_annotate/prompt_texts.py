"""The prompt files in prompts/ (reasoning and caption) read once, with their hashes.

Reasoning templates are plain text files named `<name>_<version>.<part>.txt` (system, user,
repair for a whole answer, fields for a few texts). Their hash, together with the answer schema's, goes into every annotation's provenance
and the config hash, so a changed prompt is visible in the output, invalidates the LLM cache and
never mixes into a resumed run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from string import Template
from typing import Any

from ecot_annotate.resources import resource_path

PROMPT = "reasoning_v2"
EDIT_PROMPT = "reasoning_edit_v2"  # --llm-mode edit: notes from the rule writer in the prompt
LLM_MODES = ("write", "edit")
ANSWER_SCHEMA = "llm_answer.json"
PARTS = ("system", "user", "repair", "fields")


@dataclass(frozen=True)
class PromptSet:
    name: str
    system: str
    user: Template
    repair: Template
    fields: Template
    schema: dict[str, Any]
    hash: str  # sha256 of every template and the schema, first 16 hex digits


def mode_prompt(mode: str) -> str:
    """The prompt set of an LLM mode: write from the episode, or from the rule writer's notes."""
    return EDIT_PROMPT if mode == "edit" else PROMPT


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
        fields=Template(texts["fields"]),
        schema=json.loads(schema_text),
        hash=digest.hexdigest()[:16],
    )


CAPTION_PROMPT_FILE = "caption_v1.txt"


@cache
def caption_prompt() -> tuple[str, str]:
    """(prompt text, first 16 hex digits of its sha256) from prompts/."""
    text = resource_path("prompts", CAPTION_PROMPT_FILE).read_text().strip()
    return text, hashlib.sha256(text.encode()).hexdigest()[:16]
