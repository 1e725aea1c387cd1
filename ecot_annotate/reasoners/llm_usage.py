"""Names of the LLM counters and their summary: what a run spent and why it fell back.

The reasoner and its backends report through `ecot_annotate.counting.Count`; `llm_summary` turns
the collected counters into summary.json's "llm" section, including the fallback rate a run is judged by: the share of episodes that fell back because the service
failed them (connection, timeout, rate limit, server error, a rejected key or model), as opposed
to answers the model got wrong.
"""

from __future__ import annotations

from ecot_annotate.text.checks import CHECKS
from ecot_annotate.text.plan_motion import SUBTASK_GRIPPER_CHECK

PREFIX = "llm_"
FALLBACK_PREFIX = "llm_fallback_"
MODE_PREFIX = "llm_mode_"  # answers in use, by how their form was asked for
CHECK_PREFIX = "llm_check_"  # llm_check_<check>_<outcome>: texts of validated answers per check
CHECK_OUTCOMES = ("failed", "repaired", "from_rules")
ANSWER_CHECKS = (
    *CHECKS,
    SUBTASK_GRIPPER_CHECK,
)  # the text checks, and the subtasks' agreement with the gripper
SERVICE_KINDS = ("connection", "timeout", "rate_limited", "server_error", "rejected")
COUNTERS = (
    "requests",  # HTTP requests sent (first tries, retries, repairs, format downgrades)
    "retries",  # requests repeated after a 429, 5xx, timeout or connection error
    "format_downgrades",  # the server refused response_format; asked again with a simpler mode
    "cache_hits",  # answers read from the on-disk cache instead of the server
    "repairs",  # episodes whose first answer was unusable as a whole and were asked again
    "field_repairs",  # episodes asked again for only the texts that failed a check
    "fields_from_rules",  # texts still failing after that, written by the rule reasoner instead
    "fields",  # texts of the validated answers (task and three per move), the model's or the rules'
    "fields_own",  # of those, the model's texts that passed the checks and are not the rule writer's
    "fields_copied",  # the model's texts that passed but are a text of the rule writer's for the episode
    "validated",  # episodes whose reasoning is a validated LLM answer
    "fallbacks",  # episodes that fell back to the rule reasoner
    "prompt_tokens",
    "completion_tokens",
    "prefill_tokens",  # embedded model: prompt tokens read, and those taken from its prefix cache
    "reused_tokens",
    "request_ms",  # wall time spent waiting on the server, summed over requests
)
# Where the embedded model's stage spent its time (ms counters; 0 for a server): its batches in all
# (`stage`), the first answers' prefill and decode, and the repair round's.
TIME_COUNTERS = ("stage", "prefill", "decode", "repair_prefill", "repair_decode")


def llm_summary(counters: dict[str, int]) -> dict[str, object]:
    """The "llm" section of summary.json from the run's counters."""
    summary: dict[str, object] = {
        name: counters.get(PREFIX + name, 0) for name in COUNTERS if name != "request_ms"
    }
    summary["request_seconds"] = round(counters.get(PREFIX + "request_ms", 0) / 1000, 3)
    summary["seconds"] = breakdown(counters)
    stage = summary["seconds"]["stage"]
    summary["tokens_per_s"] = round(int(summary["completion_tokens"]) / stage, 2) if stage else 0.0
    by_reason = _by_prefix(counters, FALLBACK_PREFIX)
    summary["fallbacks_by_reason"] = by_reason
    summary["answers_by_mode"] = _by_prefix(counters, MODE_PREFIX)
    summary["text_checks"] = {
        check: {o: counters.get(f"{CHECK_PREFIX}{check}_{o}", 0) for o in CHECK_OUTCOMES}
        for check in ANSWER_CHECKS
    }
    episodes = int(summary["validated"]) + int(summary["fallbacks"])
    service = sum(by_reason.get(kind, 0) for kind in SERVICE_KINDS)
    summary["fallback_rate"] = round(service / episodes, 4) if episodes else 0.0
    return summary


def breakdown(counters: dict[str, int]) -> dict[str, float]:
    """The embedded model's stage time in seconds: prefill and decode of the first answers, the
    repair round, and the rest (prompts, grammars, answer checks, the cache)."""
    ms = {name: counters.get(f"{PREFIX}{name}_ms", 0) for name in TIME_COUNTERS}
    parts = {
        "prefill": ms["prefill"],
        "decode": ms["decode"],
        "repair_round": ms["repair_prefill"] + ms["repair_decode"],
    }
    parts["other"] = max(ms["stage"] - sum(parts.values()), 0)
    return {name: round(value / 1000, 3) for name, value in {"stage": ms["stage"], **parts}.items()}


def _by_prefix(counters: dict[str, int], prefix: str) -> dict[str, int]:
    return {
        name.removeprefix(prefix): value
        for name, value in sorted(counters.items())
        if name.startswith(prefix) and value
    }


def fallback_rate_exceeded(llm: dict[str, object], max_rate: float) -> str | None:
    """One line when more episodes fell back for service reasons than allowed, else None."""
    rate = float(llm.get("fallback_rate") or 0.0)
    if rate <= max_rate:
        return None
    return (
        f"{rate:.0%} of episodes fell back to the rules because the LLM service failed them "
        f"(more than --max-fallback-rate {max_rate:g}); see summary.json llm.fallbacks_by_reason"
    )


def describe(llm: dict[str, object]) -> str:
    """One line for the terminal: what the LLM did and why episodes fell back."""
    reasons = ", ".join(f"{k} {v}" for k, v in dict(llm.get("fallbacks_by_reason") or {}).items())
    return (
        f"llm: {llm['validated']} validated, {llm['fallbacks']} fell back to rules"
        + (f" ({reasons})" if reasons else "")
        + f", fallback rate {float(llm.get('fallback_rate') or 0.0):.0%}"
        + f"; {llm['requests']} requests, {llm['retries']} retries, {llm['cache_hits']} cache hits, "
        f"{llm['prompt_tokens']}+{llm['completion_tokens']} tokens in {llm['request_seconds']}s"
        + _stage_line(llm)
    )


def _stage_line(llm: dict[str, object]) -> str:
    seconds = dict(llm.get("seconds") or {})
    if not seconds.get("stage"):
        return ""
    parts = ", ".join(
        f"{name.replace('_', ' ')} {seconds[name]:.1f}s"
        for name in ("prefill", "decode", "repair_round", "other")
    )
    return f"; stage {seconds['stage']:.1f}s ({parts}), {llm['tokens_per_s']} tokens/s"
