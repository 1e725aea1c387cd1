"""The README's performance table is bench-results/latest.md, character for character."""

from __future__ import annotations

import pytest

from benchmarks.results import LATEST, README, Row, markdown, readme_block, readme_with


def test_the_readme_quotes_the_latest_bench_results_exactly():
    assert readme_block(README.read_text()) == LATEST.read_text()


def test_a_new_table_replaces_only_the_block():
    readme = README.read_text()
    table = markdown([Row("a | b", "1 x/s", "2 x/s", "2.0x")], minutes=1.0)
    updated = readme_with(readme, table)
    assert readme_block(updated) == table
    assert "| a \\| b | 1 x/s | 2 x/s | 2.0x |" in table
    assert updated.replace(table, "") == readme.replace(LATEST.read_text(), "")
    assert "no GPU on this machine" in table or "GPU " in table
    with pytest.raises(ValueError, match="no performance block"):
        readme_with("# a README without the block\n", table)
