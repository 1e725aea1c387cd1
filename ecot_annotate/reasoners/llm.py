# Long file: one reasoner owns the whole answer round trip (request, cache, checks, repair, rules fallback).
"""The LLM reasoner: one checked answer per episode from a server or an embedded model.

Per episode: ask (or read the cache) for the task and one item of language per move, in the
episode's own JSON Schema. Then at most one more request: an answer unusable as a whole (no JSON,
the wrong number of items) is asked for again whole; an answer with a few bad texts (empty, too
long, '@', or failing a text check against the episode: `llm_checks`) is asked for only those
texts, each with its reason. Texts that still fail are written by the rule reasoner, and the
provenance names them. `reason_batch` takes several episodes and hands each round's requests to
the backend together: an embedded model (fed batches by RunInference) generates them in one call.
A server's episodes come one per call, from as many threads as the backend's concurrency allows.
In edit mode the prompt also holds the rule writer's notes on each move (`rule_notes`). Every
text that passes is compared with the rule writer's texts for the episode: the counts say how
many are the model's own (`fields_own`) and how many a copy of the rule writer's (`fields_copied`).

Provenance of the result:
- reasoning_source "llm": the LLM's answer; reasoning_model = the model; answer_mode = how the
  answer's form was asked for (json_schema, json_object or text); fields_repaired and
  fields_from_rules list the texts (`task`, `items.<i>.<field>`) asked again or written by rules.
- reasoning_source "fallback": the rule reasoner's text for the whole episode, because the
  LLM's could not be used; reasoning_model "rules", `fallback_reason` says why (`<kind>: ...`).

Both carry `prompt_hash`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ecot_annotate.backends.llm_backends import LLM_BACKENDS, Completer, answer_mode
from ecot_annotate.backends.llm_client import Completion, Request, RequestFailed
from ecot_annotate.config import LLMConfig
from ecot_annotate.counting import Count, no_count
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.prompt_texts import load_prompts, mode_prompt
from ecot_annotate.reasoners.answer_text import answer_texts, rule_notes, rule_steps, same_text
from ecot_annotate.reasoners.llm_answer import (
    AnswerError,
    Checked,
    assemble,
    bad_texts,
    check_answer,
    describe_bad,
    parse_answer,
)
from ecot_annotate.reasoners.llm_cache import (
    AnswerCache,
    answer_source,
    cache_key,
    default_cache_dir,
)
from ecot_annotate.reasoners.llm_checks import (
    answer_words,
    count_outcomes,
    echoes_problem,
    mark_failures,
)
from ecot_annotate.reasoners.llm_input import Run, episode_input, move_runs
from ecot_annotate.reasoners.llm_prompt import fields_message, repair_message, user_message
from ecot_annotate.reasoners.llm_schema import answer_schema, fields_schema
from ecot_annotate.reasoners.llm_usage import MODE_PREFIX
from ecot_annotate.reasoners.rules import RuleReasoner
from ecot_annotate.text.checks import EpisodeWords

Result = Completion | RequestFailed


@dataclass
class _Job:
    """One episode on its way through the rounds."""

    episode: Episode
    annotation: Annotation
    runs: list[Run]
    request: Request
    words: EpisodeWords
    checked: Checked = field(default_factory=Checked)
    text: str = ""
    mode: str = "text"
    failure: RequestFailed | None = None
    repaired: list[str] = field(default_factory=list)
    failed_checks: dict[str, str] = field(default_factory=dict)  # key -> first check it failed
    rule_texts: dict[str, str] = field(default_factory=dict)  # the rule writer's text per key

    def follow_up(self, message: str, schema: dict) -> Request:
        return Request(
            self.request.messages
            + [
                {"role": "assistant", "content": self.text},
                {"role": "user", "content": message},
            ],
            schema,
            follow_up=True,
        )


def build_completer(config: LLMConfig, count: Count = no_count) -> Completer:
    """The configured backend's completer (a model loads here: build once per worker)."""
    return LLM_BACKENDS.get(config.backend).build(config, count)


class LLMReasoner:
    """Plan, subtasks and move reasons from an LLM, one item of language per move."""

    name = "llm"

    def __init__(
        self,
        llm_config: LLMConfig,
        count: Count = no_count,
        completer: Completer | None = None,
    ):
        llm_config = replace(llm_config, mode=answer_mode(llm_config))
        self.config, self.count, self.max_chars = llm_config, count, llm_config.max_text_chars
        self.prompts = load_prompts(mode_prompt(llm_config.mode))
        self.completer = completer or build_completer(llm_config, count)
        self.cache = (
            AnswerCache(llm_config.cache_dir or default_cache_dir()) if llm_config.cache else None
        )
        self.rules = RuleReasoner()
        self._source_marked = False

    def reason(self, episode: Episode, annotation: Annotation) -> Annotation:
        return self.reason_batch([(episode, annotation)])[0]

    def reason_batch(self, pairs: list[tuple[Episode, Annotation]]) -> list[Annotation]:
        """Each episode's annotation, in order; requests of one round go out together."""
        jobs = [self._job(episode, annotation) for episode, annotation in pairs]
        for job, result in zip(jobs, self._complete([j.request for j in jobs]), strict=True):
            self._first(job, result)
        again = [(job, self._repair(job)) for job in jobs if self._needs_repair(job)]
        results = self._complete([request for _, request in again])
        for (job, _), result in zip(again, results, strict=True):
            self._second(job, result)
        return [self._finish(job) for job in jobs]

    def first_request(self, episode: Episode, annotation: Annotation) -> Request:
        """The request a run sends first for this episode (what `make bench` times)."""
        return self._job(episode, annotation).request

    def _job(self, episode: Episode, annotation: Annotation) -> _Job:
        data = episode_input(episode, annotation)
        notes = rule_notes(episode, annotation) if self.config.mode == "edit" else ""
        messages = [
            {"role": "system", "content": self.prompts.system},
            {
                "role": "user",
                "content": user_message(self.prompts, data, notes),
            },
        ]
        runs = move_runs(annotation.moves)
        request = Request(messages, answer_schema(len(runs), self.max_chars))
        words = answer_words(episode, annotation)
        rule_texts = answer_texts(rule_steps(episode, annotation))
        return _Job(episode, annotation, runs, request, words, rule_texts=rule_texts)

    def _complete(self, requests: list[Request]) -> list[Result]:
        """From the cache where this exact request was answered before, the rest in one call."""
        keys = [self._key(r) for r in requests]
        found: list[Result | None] = [
            self._cached(k) if self.cache is not None else None for k in keys
        ]
        missing = [i for i, hit in enumerate(found) if hit is None]
        for i, result in zip(
            missing, self.completer.complete_many([requests[i] for i in missing]), strict=True
        ):
            found[i] = result
            if self.cache is not None and isinstance(result, Completion):
                self._mark_source()
                self.cache.put(
                    keys[i],
                    {
                        "text": result.text,
                        "finish_reason": result.finish_reason,
                        "mode": result.mode,
                    },
                )
        return found

    def _mark_source(self) -> None:
        """Once per reasoner: this backend, server and model have answers in the cache."""
        if not self._source_marked:
            self.cache.mark_source(answer_source(self.config, self.prompts.hash))
            self._source_marked = True

    def _key(self, request: Request) -> str:
        return cache_key(
            prompt=self.prompts.hash,
            model=self.completer.model,
            server=self.completer.cache_id,
            max_tokens=self.config.max_tokens,
            messages=request.messages,
            schema=request.schema,
        )

    def _cached(self, key: str) -> Completion | None:
        hit = self.cache.get(key)
        if hit is None:
            return None
        self.count("llm_cache_hits", 1)
        return Completion(hit["text"], hit.get("finish_reason"), 0, 0, hit.get("mode", "text"))

    def _first(self, job: _Job, result: Result) -> None:
        if isinstance(result, RequestFailed):
            job.failure = result
            return
        job.text, job.mode = result.text, result.mode
        job.checked = self._check(job, result)

    def _check(self, job: _Job, completion: Completion) -> Checked:
        checked = check_answer(completion.text, len(job.runs), self.max_chars)
        if checked.usable:
            mark_failures(
                checked.texts,
                checked.bad,
                job.runs,
                job.words,
                job.failed_checks,
                job.annotation.event_lead,
            )
        if not checked.usable and completion.finish_reason == "length":
            checked.problems.insert(
                0, f"the answer was cut off at the token limit ({self.config.max_tokens})"
            )
        return checked

    def _needs_repair(self, job: _Job) -> bool:
        return job.failure is None and (not job.checked.usable or bool(job.checked.bad))

    def _repair(self, job: _Job) -> Request:
        if not job.checked.usable:
            self.count("llm_repairs", 1)
            message = repair_message(self.prompts, job.checked.problems, len(job.runs))
            return job.follow_up(message, job.request.schema)
        self.count("llm_field_repairs", 1)
        bad = job.checked.bad
        return job.follow_up(
            fields_message(self.prompts, bad), fields_schema(list(bad), self.max_chars)
        )

    def _second(self, job: _Job, result: Result) -> None:
        if not job.checked.usable:  # the whole answer was asked for again
            if isinstance(result, RequestFailed):
                job.failure = result
                return
            job.text, job.mode = result.text, result.mode
            job.checked = self._check(job, result)
            return
        if isinstance(result, RequestFailed):
            return  # the bad texts stay bad: the rules write them
        try:
            answer = parse_answer(result.text)
        except AnswerError:
            return
        fixed = {key: answer.get(key) for key in job.checked.bad}
        still_bad = bad_texts(fixed, self.max_chars)
        for key, value in fixed.items():
            if key not in still_bad and echoes_problem(value, job.checked.bad[key]):
                still_bad[key] = "repeats what was wrong with it instead of fixing it"
        mark_failures(
            fixed,
            still_bad,
            job.runs,
            job.words,
            job.failed_checks,
            job.annotation.event_lead,
            job.checked.texts,
        )
        for key, value in fixed.items():
            if key not in still_bad:
                job.checked.texts[key] = value
                job.repaired.append(key)
        job.checked.bad = still_bad

    def _finish(self, job: _Job) -> Annotation:
        if job.failure is not None:
            kind, detail = job.failure.kind, job.failure.detail
            return self._fall_back(job, kind, f"{kind}: {detail}")
        if not job.checked.usable:
            return self._fall_back(
                job,
                "invalid_answer",
                "invalid_answer: after one repair: " + "; ".join(job.checked.problems),
            )
        texts = dict(job.checked.texts)
        from_rules = list(job.checked.bad)
        if from_rules:
            texts.update({key: job.rule_texts[key] for key in from_rules})
            self.count("llm_fields_from_rules", len(from_rules))
        rule_texts = job.rule_texts.values()  # a copy of another field's rule text is a copy too
        copied = [
            key
            for key, text in texts.items()
            if key not in from_rules and any(same_text(text, rule) for rule in rule_texts)
        ]
        self.count("llm_fields", len(texts))
        self.count("llm_fields_copied", len(copied))
        self.count("llm_fields_own", len(texts) - len(from_rules) - len(copied))
        count_outcomes(self.count, job.failed_checks, job.repaired, from_rules)
        annotation = job.annotation
        annotation.reasoning = assemble(texts, job.runs)
        annotation.provenance.pop("fallback_reason", None)
        annotation.provenance.update(
            {
                "reasoning_source": "llm",
                "reasoning_model": self.completer.model,
                "prompt_hash": self.prompts.hash,
                "answer_mode": job.mode,
                "fields_repaired": ",".join(job.repaired),
                "fields_from_rules": ",".join(from_rules),
            }
        )
        if from_rules:
            annotation.provenance["fields_from_rules_because"] = "; ".join(
                describe_bad(job.checked.bad)
            )[:500]
        self.count("llm_validated", 1)
        self.count(MODE_PREFIX + job.mode, 1)
        return annotation

    def _fall_back(self, job: _Job, kind: str, reason: str) -> Annotation:
        annotation = self.rules.reason(job.episode, job.annotation)
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
