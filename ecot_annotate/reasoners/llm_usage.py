"""Names of the LLM counters and their summary: what a run spent and why it fell back.

The reasoner reports through a `Count` callback (Beam metrics in the pipeline, a dict in tests);
`llm_summary` turns the collected counters into summary.json's "llm" section.
"""

from __future__ import annotations

from collections.abc import Callable

Count = Callable[[str, int], None]

PREFIX = "llm_"
FALLBACK_PREFIX = "llm_fallback_"
COUNTERS = (
    "requests",  # HTTP requests sent (first tries, retries, repairs, format downgrades)
    "retries",  # requests repeated after a 429, 5xx, timeout or connection error
    "format_downgrades",  # the server refused response_format; asked again with a simpler mode
    "cache_hits",  # answers read from the on-disk cache instead of the server
    "repairs",  # episodes whose first answer failed validation and were asked again
    "validated",  # episodes whose reasoning is a validated LLM answer
    "fallbacks",  # episodes that fell back to the rule reasoner
    "prompt_tokens",
    "completion_tokens",
    "request_ms",  # wall time spent waiting on the server, summed over requests
)


def no_count(name: str, value: int = 1) -> None:
    return None


def llm_summary(counters: dict[str, int]) -> dict[str, object]:
    """The "llm" section of summary.json from the run's counters."""
    summary: dict[str, object] = {
        name: counters.get(PREFIX + name, 0) for name in COUNTERS if name != "request_ms"
    }
    summary["request_seconds"] = round(counters.get(PREFIX + "request_ms", 0) / 1000, 3)
    summary["fallbacks_by_reason"] = {
        name.removeprefix(FALLBACK_PREFIX): value
        for name, value in sorted(counters.items())
        if name.startswith(FALLBACK_PREFIX) and value
    }
    return summary


def describe(llm: dict[str, object]) -> str:
    """One line for the terminal: what the LLM did and why episodes fell back."""
    reasons = ", ".join(f"{k} {v}" for k, v in dict(llm.get("fallbacks_by_reason") or {}).items())
    return (
        f"llm: {llm['validated']} validated, {llm['fallbacks']} fell back to rules"
        + (f" ({reasons})" if reasons else "")
        + f"; {llm['requests']} requests, {llm['retries']} retries, {llm['cache_hits']} cache hits, "
        f"{llm['prompt_tokens']}+{llm['completion_tokens']} tokens in {llm['request_seconds']}s"
    )
