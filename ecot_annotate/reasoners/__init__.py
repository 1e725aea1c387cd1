"""Reasoners write the six ECoT text fields for every step of an episode, chosen by name.

A reasoner is `reason(episode, annotation) -> annotation`; each registers a factory taking the
LLM settings and a usage counter, imported lazily so that an unused backend's packages need not
be installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ecot_annotate.config import LLMConfig
from ecot_annotate.counting import Count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.registry import Registry


class Reasoner(Protocol):
    def reason(self, episode: Episode, annotation: Annotation) -> Annotation: ...


REASONERS: Registry[Callable[[LLMConfig, Count], Reasoner]] = Registry("reasoner")


@REASONERS.register("rules")
def _rules(llm: LLMConfig, count: Count) -> Reasoner:
    from ecot_annotate.reasoners.rules import RuleReasoner

    return RuleReasoner()


@REASONERS.register("llm")
def _llm(llm: LLMConfig, count: Count) -> Reasoner:
    from ecot_annotate.reasoners.llm import LLMReasoner

    return LLMReasoner(llm, count)
