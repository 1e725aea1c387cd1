"""The LLM reasoner: one validated answer per episode from any OpenAI-compatible server.

Per episode: ask (or read the cache), validate, and on failure ask once more with the problems
listed; if that fails too, or the server cannot be reached, the rule reasoner writes the episode
and the provenance says so. Provenance of the result:

- reasoning_source "llm": a validated LLM answer; reasoning_model = the model.
- reasoning_source "fallback": the rule reasoner's text, written because the LLM's could not be
  used; reasoning_model "rules", `fallback_reason` says why (`<kind>: <detail>`).

Both carry `prompt_hash`. An LLM run never mixes the two inside one episode.
"""

from __future__ import annotations

from ecot_annotate.backends.llm_client import ChatClient, Completion, RequestFailed
from ecot_annotate.config import LLMConfig
from ecot_annotate.episode import Annotation, Episode, StepReasoning
from ecot_annotate.prompt_texts import load_prompts
from ecot_annotate.reasoners.llm_answer import read_answer
from ecot_annotate.reasoners.llm_cache import AnswerCache, cache_key, default_cache_dir
from ecot_annotate.reasoners.llm_input import episode_input
from ecot_annotate.reasoners.llm_prompt import repair_message, user_message
from ecot_annotate.reasoners.llm_usage import Count, no_count
from ecot_annotate.reasoners.rules import RuleReasoner

Messages = list[dict[str, str]]


class LLMReasoner:
    """Plan, subtasks and move reasons from an LLM, validated against the computed primitives."""

    name = "llm"

    def __init__(self, llm_config: LLMConfig, count: Count = no_count):
        self.config, self.count = llm_config, count
        self.prompts = load_prompts()
        self.client = ChatClient(llm_config, self.prompts.schema, count)
        self.cache = (
            AnswerCache(llm_config.cache_dir or default_cache_dir()) if llm_config.cache else None
        )
        self.rules = RuleReasoner()

    def _complete(self, messages: Messages) -> Completion:
        """From the cache when this exact request was answered before, else from the server."""
        key = cache_key(
            prompt=self.prompts.hash,
            model=self.config.model,
            base_url=self.config.base_url,
            max_tokens=self.config.max_tokens,
            messages=messages,
        )
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.count("llm_cache_hits", 1)
                return Completion(hit["text"], hit.get("finish_reason"), 0, 0)
        completion = self.client.complete(messages)
        if self.cache is not None:
            self.cache.put(
                key, {"text": completion.text, "finish_reason": completion.finish_reason}
            )
        return completion

    def _ask(
        self, messages: Messages, prims: list[str]
    ) -> tuple[str, list[StepReasoning] | None, list[str]]:
        completion = self._complete(messages)
        steps, problems = read_answer(completion.text, prims)
        if steps is None and completion.finish_reason == "length":
            problems = [
                f"the answer was cut off at the token limit ({self.config.max_tokens})",
                *problems,
            ]
        return completion.text, steps, problems

    def reason(self, episode: Episode, annotation: Annotation) -> Annotation:
        prims = annotation.primitives
        data = episode_input(episode, annotation)
        messages: Messages = [
            {"role": "system", "content": self.prompts.system},
            {"role": "user", "content": user_message(self.prompts, data)},
        ]
        try:
            text, steps, problems = self._ask(messages, prims)
            if steps is None:
                self.count("llm_repairs", 1)
                repair = [
                    {"role": "assistant", "content": text},
                    {"role": "user", "content": repair_message(self.prompts, problems, len(prims))},
                ]
                _, steps, problems = self._ask(messages + repair, prims)
        except RequestFailed as exc:
            return self._fall_back(episode, annotation, exc.kind, f"{exc.kind}: {exc.detail}")
        if steps is None:
            return self._fall_back(
                episode,
                annotation,
                "invalid_answer",
                "invalid_answer: after one repair: " + "; ".join(problems),
            )
        annotation.reasoning = steps
        annotation.provenance.update(
            {
                "reasoning_source": "llm",
                "reasoning_model": str(self.config.model),
                "prompt_hash": self.prompts.hash,
            }
        )
        annotation.provenance.pop("fallback_reason", None)
        self.count("llm_validated", 1)
        return annotation

    def _fall_back(
        self, episode: Episode, annotation: Annotation, kind: str, reason: str
    ) -> Annotation:
        annotation = self.rules.reason(episode, annotation)
        annotation.provenance.update(
            {
                "reasoning_source": "fallback",
                "reasoning_model": "rules",
                "fallback_reason": reason[:500],
                "prompt_hash": self.prompts.hash,
            }
        )
        self.count("llm_fallbacks", 1)
        self.count(f"llm_fallback_{kind}", 1)
        return annotation
