"""Reasoners write the six ECoT text fields for every step of an episode, chosen by name.

A reasoner is `reason(episode, annotation) -> annotation`; each registers a `ReasonerKind`: a
factory taking the LLM settings and a usage counter (imported lazily so that an unused backend's
packages need not be installed), and whether it reads the LLM settings (which then decide its
output, and the LLM backend decides how episodes reach it). No caller compares a reasoner's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ecot_annotate.config import LLMConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.registry import Registry


class Reasoner(Protocol):
    def reason(self, episode: Episode, annotation: Annotation) -> Annotation: ...


@dataclass(frozen=True)
class ReasonerKind:
    build: Callable[[LLMConfig, Count], Reasoner]
    uses_llm: bool = False  # reads `--llm-*`: the LLM backend and its settings are part of the run


REASONERS: Registry[ReasonerKind] = Registry("reasoner")


def _rules(llm: LLMConfig, count: Count) -> Reasoner:
    from ecot_annotate.reasoners.rules import RuleReasoner

    return RuleReasoner()


def _llm(llm: LLMConfig, count: Count) -> Reasoner:
    from ecot_annotate.reasoners.llm import LLMReasoner

    return LLMReasoner(llm, count)


REASONERS.register("rules")(ReasonerKind(_rules))
REASONERS.register("llm")(ReasonerKind(_llm, uses_llm=True))
