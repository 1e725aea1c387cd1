"""The embedded LLM step is never silent when its output is piped: `annotate --reasoner llm
--llm-backend transformers` in a process of its own, its output read line by line as it comes, with
the progress interval cut from 30 s to 2 s so the check is quick. A tiny random chat model with
long texts allowed writes until its token limit, so the stage lasts several intervals, model
loading included; most lines come on the interval, none much later, and they say what a newcomer
needs: episodes done, tokens/s, an ETA."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from tests.support.datasets import REPO
from tests.support.llm_servers import build_tiny_chat_model

pytest.importorskip("xgrammar", reason="the embedded LLM backend needs xgrammar")

EVERY_S = 2
# On a loaded machine an import holding the interpreter's lock (torch's, while the model loads) can
# hold the logging thread back for seconds; a silent batch would be as long as the whole stage.
SLACK_S = 15
EPISODES = 3


@pytest.mark.slow
def test_the_llm_step_piped_prints_a_line_every_interval(sample_dir, tmp_path):
    model = build_tiny_chat_model(tmp_path / "tiny-chat")
    cli = [sys.executable, "-c", "from ecot_annotate.cli import main; main()", "annotate"]
    cli += [str(sample_dir), "--out", str(tmp_path / "out"), "--limit", str(EPISODES)]
    cli += ["--format", "parquet", "--reasoner", "llm", "--llm-backend", "transformers"]
    cli += ["--llm-model", str(model), "--no-cache", "--llm-max-text-chars", "1000"]
    cli += ["--llm-max-tokens", "3000"]  # random text up to the limit: a stage of some seconds
    env = dict(os.environ, PYTHONPATH=str(REPO), ECOT_ANNOTATE_PROGRESS_S=str(EVERY_S))
    process = subprocess.Popen(
        cli, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1, env=env
    )
    lines = [(time.monotonic(), line.rstrip("\n")) for line in process.stdout]
    assert process.wait(timeout=600) == 0, "\n".join(text for _, text in lines)
    texts = [text for _, text in lines]
    first = next(k for k, text in enumerate(texts) if text.startswith("progress: llm: loading"))
    stage = lines[first:]  # from the model's loading to the end of the run
    gaps = [b - a for (a, _), (b, _) in zip(stage, stage[1:], strict=False)]
    said = list(zip(gaps, texts[first + 1 :], strict=True))
    assert max(gaps) <= EVERY_S + SLACK_S, said
    assert sorted(gaps)[len(gaps) // 2] <= EVERY_S + 0.5, said  # most of them on the interval
    batch = [t for t in texts if re.match(r"progress: llm: \d+/3 episodes .*in this batch", t)]
    assert len(batch) >= 3, texts  # the batch lasted several intervals and said so
    assert all(re.search(r", \d+ tokens, [0-9.]+ tokens/s", t) for t in batch[1:]), batch
    assert any(", ETA " in t for t in batch), batch
    assert any(re.search(r"; stage [0-9.]+s \(prefill ", t) for t in texts), texts
