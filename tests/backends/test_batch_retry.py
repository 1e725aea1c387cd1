"""A failed model batch is retried in halves: only the bad item fails, the rest get results."""

from __future__ import annotations

from ecot_annotate.backends.batch_retry import run_in_halves


def test_one_bad_item_fails_alone_and_the_rest_are_computed():
    calls = []

    def model(batch: list[int]) -> list[int]:
        calls.append(len(batch))
        if 13 in batch:
            raise RuntimeError("cannot read frame 13")
        return [x * 2 for x in batch]

    results = run_in_halves(list(range(16)), model)
    assert [r for r in results if not isinstance(r, Exception)] == [
        x * 2 for x in range(16) if x != 13
    ]
    assert isinstance(results[13], RuntimeError) and str(results[13]) == "cannot read frame 13"
    assert len(calls) <= 1 + 2 * 4  # about 2·log2(16) retries, not one call per frame


def test_good_batches_are_one_call():
    calls = []
    assert run_in_halves([1, 2, 3], lambda b: calls.append(b) or [x + 1 for x in b]) == [2, 3, 4]
    assert calls == [[1, 2, 3]]
    assert run_in_halves([], lambda b: 1 / 0) == []
