"""What an LLM backend is, and the table `--llm-backend` chooses from.

A backend answers every question the run asks about it, so no caller compares its name:
- `check`: settings that cannot work, one line, cheap (before the dataset is read);
- `ready`: the service answers, or the model and its packages are here (seconds);
- `build`: the completer a worker asks (loads a model or opens a client; once per worker);
- `batched`: episodes reach it in batches through Beam's RunInference (a model in the worker,
  which answers a batch in one call), else one per thread, `concurrency` threads at once (a
  server, which waits);
- `default_mode`: the `--llm-mode` it answers in when none is given.

Adding one is a module that registers an `LLMBackend` and one import line in `llm_backends`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ecot_annotate.backends.llm_client import Completion, Request, RequestFailed
from ecot_annotate.config import LLMConfig
from ecot_annotate.counting import Count
from ecot_annotate.registry import Registry


class Completer(Protocol):
    """Where answers come from: a server client or an embedded model."""

    model: str  # recorded as reasoning_model
    cache_id: str  # what, besides the model, decides an answer (a server URL, "transformers")

    def complete_many(self, requests: list[Request]) -> list[Completion | RequestFailed]: ...


@dataclass(frozen=True)
class LLMBackend:
    help: str  # one sentence for `--llm-backend`'s help
    build: Callable[[LLMConfig, Count], Completer]
    check: Callable[[LLMConfig], None]
    ready: Callable[[LLMConfig], None]
    batched: bool
    # write: from the episode (larger models write better text from the episode itself) | edit:
    # from the rule writer's notes on each move (small models write passing text only that way)
    default_mode: str = "write"

    def concurrency(self, config: LLMConfig) -> int:
        """Episodes one worker has waiting on this backend at once: the run's only such cap."""
        return 1 if self.batched else config.concurrency


LLM_BACKENDS: Registry[LLMBackend] = Registry("LLM backend")


def answer_mode(config: LLMConfig) -> str:
    """The mode the LLM answers in: `--llm-mode`, else its backend's default."""
    return config.mode or LLM_BACKENDS.get(config.backend).default_mode
