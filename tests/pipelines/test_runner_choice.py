"""The local runner is the one the tests run (Beam's FnApiRunner), never Prism by surprise; Prism
runs only when asked for."""

from __future__ import annotations

import logging

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from ecot_annotate.config import AnnotateConfig
from pipelines.run import new_pipeline


def _config(*beam_args: str) -> AnnotateConfig:
    return AnnotateConfig(input="in", out="out", beam_args=beam_args)


def test_direct_runner_runs_in_process_without_trying_prism(caplog):
    caplog.set_level(logging.DEBUG)
    for config in (_config(), _config("--runner=DirectRunner")):
        pipeline = new_pipeline(config)
        assert type(pipeline.runner).__name__ == "FnApiRunner"
        doubled = pipeline | beam.Create([1, 2, 3]) | beam.Map(lambda x: 2 * x)
        assert_that(doubled, equal_to([2, 4, 6]))
        pipeline.run().wait_until_finish()
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "prism" not in said.lower() and "Downloading" not in said


def test_prism_is_a_choice_passed_through():
    assert type(new_pipeline(_config("--runner=PrismRunner")).runner).__name__ == "PrismRunner"
