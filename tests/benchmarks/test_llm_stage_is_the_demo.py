"""`python -m benchmarks llm_stage` measures make demo's LLM step: its run gives `annotate` the
options the Makefile's LLM step gives it, so the silence it measures is the demo's."""

from __future__ import annotations

import shlex

from benchmarks.bench_llm_stage import DEMO_OPTIONS
from tests.support.datasets import REPO


def _demo_llm_options() -> list[str]:
    """The options of make demo's `annotate ... --reasoner llm` command, but where it writes."""
    text = (REPO / "Makefile").read_text().replace("\\\n", " ")
    demo = text[text.index("\ndemo:") :].split("\n\n")[0]
    line = next(line for line in demo.splitlines() if "--reasoner llm" in line)
    words = shlex.split(line)
    options = words[words.index("annotate") + 2 :]  # after the input
    del options[options.index("--out") : options.index("--out") + 2]
    options.remove("--overwrite")
    return options


def test_the_bench_runs_the_demo_llm_step_with_its_options():
    demo, bench = _demo_llm_options(), list(DEMO_OPTIONS)
    assert dict(zip(demo[::2], demo[1::2], strict=True)) == dict(
        zip(bench[::2], bench[1::2], strict=True)
    )
