"""`python -m benchmarks NAME` prints each benchmark's rows in one format as the benchmark returns
them, then the partial table, and leaves bench-results/latest.md alone."""

from __future__ import annotations

from types import SimpleNamespace

import benchmarks.__main__ as runner
from benchmarks.results import LATEST, Row, console


def test_rows_are_printed_as_each_benchmark_returns_them(monkeypatch, capsys):
    rows = [Row("tokens", "1 x", "2 x", "2.0x"), Row("no ratio", "a", "b")]
    ran = []

    def import_module(name: str) -> SimpleNamespace:
        ran.append(name)
        return SimpleNamespace(main=lambda: list(rows))

    latest = LATEST.read_text()
    monkeypatch.setattr(runner.importlib, "import_module", import_module)
    runner.main(["llm_tokens"])
    printed = capsys.readouterr().out
    assert ran == ["benchmarks.bench_llm_tokens"]
    assert f"== bench_llm_tokens\n{console(rows[0])}\n{console(rows[1])}\n" in printed
    assert "| tokens | 1 x | 2 x | 2.0x |" in printed and "a partial run" in printed
    assert LATEST.read_text() == latest


def test_a_row_prints_its_ratio_only_when_it_has_one():
    assert console(Row("b", "base", "ours", "3.0x")) == (
        "   b\n     baseline: base\n     measured: ours\n     ratio:    3.0x"
    )
    assert "ratio" not in console(Row("b", "base", "ours"))
