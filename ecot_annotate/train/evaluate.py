"""Score a checkpoint on held-out episodes: teacher-forced action-token accuracy (all tokens and
the first one), and, on generated answers, L1 of de-normalised actions and tag-level chain match."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ecot_annotate.errors import EcotError
from ecot_annotate.store.frames import RowFrames
from ecot_annotate.text.chain import split_chain
from ecot_annotate.train.chain_text import training_chain
from ecot_annotate.train.data import Shards
from ecot_annotate.train.encode import collate
from ecot_annotate.train.metrics import ActionHits, action_hits
from ecot_annotate.train.predict import Policy


def eval_keys(shards: Shards, policy: Policy, include_train: bool) -> list[str]:
    keys = shards.episode_keys()
    if include_train:
        return keys
    trained = set(policy.spec.train_episodes)
    held = [k for k in keys if k not in trained]
    if not held:
        raise EcotError(
            "every episode in DATA was used for training; train with --holdout-episodes N, evaluate other data, or pass --include-train"
        )
    return held


def teacher_chain(row: dict, policy: Policy) -> str:
    """The chain the policy saw in training at full length (empty when it trained action-only)."""
    spec = policy.spec
    if not spec.reasoning or spec.reasoning_dropout >= 1.0:
        return ""
    size = tuple(spec.model_input_size) if spec.model_input_size else None
    return training_chain(row.get("chain") or "", (row["image_width"], row["image_height"]), size)


@torch.no_grad()
def teacher_forced(policy: Policy, rows: list[dict], batch_size: int) -> ActionHits:
    hits = ActionHits()
    action_ids = torch.as_tensor(policy.actions.token_ids)
    frames = RowFrames()
    for start in range(0, len(rows), batch_size):
        examples = [
            policy.encoder.encode(
                frames.frame(r), r["instruction"], teacher_chain(r, policy), np.asarray(r["action"])
            )
            for r in rows[start : start + batch_size]
        ]
        batch = policy.to_device(collate(examples, policy.pad_id))
        logits = policy.model(**batch).logits
        hits.add(action_hits(logits, batch["labels"], action_ids))
    return hits


def generated(
    policy: Policy, rows: list[dict], max_reasoning_tokens: int, progress: bool
) -> dict[str, Any]:
    from tqdm.auto import tqdm

    errors, tag_hits, tag_counts, exact = [], {}, {}, 0
    frames = RowFrames()
    for row in tqdm(rows, desc="generate", disable=not progress):
        pred = policy.predict(frames.frame(row), row["instruction"], max_reasoning_tokens)
        errors.append(np.abs(pred.action - np.asarray(row["action"], dtype=np.float64)))
        truth = split_chain(teacher_chain(row, policy))
        for tag, text in truth.items():
            tag_counts[tag] = tag_counts.get(tag, 0) + 1
            tag_hits[tag] = tag_hits.get(tag, 0) + int(pred.tags.get(tag) == text)
        exact += int(pred.tags == truth)
    per_dim = np.mean(errors, axis=0) if errors else np.zeros(0)
    match = {tag: tag_hits[tag] / tag_counts[tag] for tag in tag_counts}
    return {
        "samples": len(rows),
        "action_l1": float(per_dim.mean()) if errors else None,
        "action_l1_per_dim": per_dim.tolist(),
        "tag_match": match,
        "tag_match_mean": float(np.mean(list(match.values()))) if match else None,
        "chain_exact": exact / len(rows) if rows else None,
    }


def evaluate(
    ckpt: str | Path,
    data: str | Path,
    include_train: bool = False,
    max_generate: int = 32,
    max_reasoning_tokens: int = 512,
    batch_size: int = 16,
    device: str = "auto",
    progress: bool = True,
    policy: Policy | None = None,
) -> dict[str, Any]:
    """Metrics over the episodes of `data` the checkpoint did not train on (or all with include_train)."""
    policy = policy or Policy.load(ckpt, device)
    shards = Shards(data)
    keys = eval_keys(shards, policy, include_train)
    rows = list(shards.rows(keys))
    hits = teacher_forced(policy, rows, batch_size)
    sample = (
        [rows[i] for i in np.linspace(0, len(rows) - 1, min(max_generate, len(rows))).astype(int)]
        if max_generate
        else []
    )
    return {
        "checkpoint": str(ckpt),
        "data": str(data),
        "episodes": len(keys),
        "steps": len(rows),
        "include_train": include_train,
        "action_token_accuracy": hits.accuracy,
        "first_action_token_accuracy": hits.first_accuracy,
        "chance_accuracy": 1 / len(policy.actions.token_ids),
        "generated": generated(policy, sample, max_reasoning_tokens, progress),
    }
