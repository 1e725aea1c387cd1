"""Which settings decide an episode's output, and their hash: equal hashes, interchangeable output.

A rerun compares the hash with the one its OUT recorded, every annotation carries it, and a change
of any setting counted here makes a new run. Settings that say where output goes or how the run is
run (out, limit, formats, shards, batch sizes, devices) do not count; the LLM's count only for a
reasoner that reads them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from ecot_annotate.backends.llm_backends import answer_mode
from ecot_annotate.config import AnnotateConfig
from ecot_annotate.prompt_texts import caption_prompt, load_prompts, mode_prompt
from ecot_annotate.reasoners import REASONERS

_NOT_CONTENT = (
    "out",
    "limit",
    "overwrite",
    "allow_quarantine",
    "beam_args",
    "num_shards",
    "formats",
    "parquet_frames",
)


def content_settings(config: AnnotateConfig) -> dict:
    """What decides an episode's content (not where it is written or how it is run). The input
    counts by its fingerprint once known, so the same dataset by another path is the same run."""
    data = asdict(config)
    data["input"] = data.pop("input_fingerprint") or config.input
    data.pop("dataset_profile")  # `profile` names it: a name, or a digest of its content
    for key in _NOT_CONTENT:
        data.pop(key)
    for key in ("camera", "kinematics", "ee_link", "joint_units"):
        if data[key] is None:
            data.pop(key)  # runs that do not override these keep their hash
    data["llm"] = {k: v for k, v in data["llm"].items() if k in ("base_url", "model")}
    if REASONERS.get(config.reasoner).uses_llm:
        data["llm"]["prompt_hash"] = load_prompts(mode_prompt(answer_mode(config.llm))).hash
        data["llm"]["backend"] = config.llm.backend
        data["llm"]["max_text_chars"] = config.llm.max_text_chars
    if config.perception.captions:
        data["perception"]["caption_prompt_hash"] = caption_prompt()[1]
    if config.perception.detect_every == 1:
        data["perception"].pop("detect_every")  # runs that detect every frame keep their hash
    data["perception"].pop("batch_size")
    data["perception"].pop("device")
    return data


def content_hash(config: AnnotateConfig) -> str:
    """A short hash of `content_settings`: equal hashes, interchangeable annotations."""
    settings = json.dumps(content_settings(config), sort_keys=True)
    return hashlib.sha256(settings.encode()).hexdigest()[:16]
