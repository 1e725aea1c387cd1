"""Outputs of the generated sample stay what they were: Parquet, ECoT JSON and RLDS, by content.

The stored digests were taken from a run before the code was reorganised; a change that alters
any output value fails here. A deliberate change of output updates tests/support/output_digest.json
in the same commit, saying why.
"""

from __future__ import annotations

import json
from pathlib import Path

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.sample.generate import write_sample
from pipelines.run import run
from tests.support.digest import run_digests

EXPECTED = json.loads((Path(__file__).parents[1] / "support" / "output_digest.json").read_text())


def test_sample_outputs_match_the_stored_digests(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative paths keep the run's files in tmp_path
    write_sample("sample", episodes=6, seed=0)
    formats = ("parquet", "ecot-json", "rlds")
    run(
        AnnotateConfig(
            input="sample/ecot_sample/1.0.0", out="out", profile="ecot_sample", formats=formats
        )
    )
    assert run_digests(Path("out")) == EXPECTED
