"""summary.json's llm section says where the embedded model's stage spent its time: prefill and
decode of the first answers, the repair round, and the rest, with the stage's tokens/s."""

from __future__ import annotations

from ecot_annotate.reasoners.llm_usage import describe, llm_summary


def test_the_stage_time_is_broken_into_prefill_decode_repair_round_and_the_rest():
    counters = {
        "llm_stage_ms": 60_000,
        "llm_prefill_ms": 4_000,
        "llm_decode_ms": 30_000,
        "llm_repair_prefill_ms": 2_000,
        "llm_repair_decode_ms": 20_000,
        "llm_completion_tokens": 900,
        "llm_prompt_tokens": 5000,
        "llm_prefill_tokens": 1200,
        "llm_reused_tokens": 3800,
        "llm_requests": 6,
        "llm_validated": 3,
    }
    llm = llm_summary(counters)
    assert llm["seconds"] == {
        "stage": 60.0,
        "prefill": 4.0,
        "decode": 30.0,
        "repair_round": 22.0,
        "other": 4.0,
    }
    assert llm["tokens_per_s"] == 15.0
    assert (llm["prefill_tokens"], llm["reused_tokens"]) == (1200, 3800)
    assert describe(llm).endswith(
        "; stage 60.0s (prefill 4.0s, decode 30.0s, repair round 22.0s, other 4.0s), 15.0 tokens/s"
    )


def test_a_server_run_has_no_stage_to_break_down():
    llm = llm_summary({"llm_requests": 2, "llm_validated": 2, "llm_request_ms": 1500})
    assert llm["seconds"]["stage"] == 0 and llm["tokens_per_s"] == 0.0
    assert describe(llm).endswith("tokens in 1.5s")
