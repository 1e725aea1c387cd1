"""The recipes of docs/ARCHITECTURE.md, proved: a new stage, output format and detector backend
are each one class plus one registration, and then run through the real pipeline.
"""

from __future__ import annotations

import json

import apache_beam as beam
import numpy as np
import pytest

from ecot_annotate import fs
from ecot_annotate.backends.detectors import DETECTORS, build_detector
from ecot_annotate.backends.detectors.owlv2 import Owlv2Detector
from ecot_annotate.config import AnnotateConfig
from ecot_annotate.errors import InputError
from ecot_annotate.registry import Registry
from ecot_annotate.stages.base import STAGES
from pipelines.formats import FORMATS, OutputFormat, WriteContext
from pipelines.run import run
from tests.support import tiny_models


class EpisodeIndexFormat(OutputFormat):
    """An example format: one JSON line per episode with its key and step count."""

    def write(self, episodes, ctx: WriteContext):
        _ = (
            episodes
            | "IndexLines"
            >> beam.Map(lambda a: json.dumps({"key": a.episode.key, "steps": a.episode.n_steps}))
            | "WriteIndex" >> ctx.sharded(beam.io.WriteToText, "episode_index/part")
        )

    def finish(self, ctx: WriteContext) -> dict[str, int]:
        return {"episode_index_files": len(fs.match(ctx.staged("episode_index/*")))}


FORMATS.register("episode-index")(EpisodeIndexFormat("episode-index", "episode_index"))


@STAGES.register("count-words")
class CountWordsStage:
    """An example stage: how many words the instruction has, kept in the provenance."""

    name = "count-words"

    def __init__(self, config, count):
        self.count = count

    def setup(self) -> None:
        return None

    def run(self, episode, annotation):
        annotation.provenance["instruction_words"] = str(len(episode.instruction.split()))
        return annotation


@DETECTORS.register("owlv2-strict")
class StrictOwlv2Detector(Owlv2Detector):
    """An example detector backend: OWLv2 that never keeps a box under 0.9."""

    name = "owlv2-strict"

    def __init__(self, model, box_threshold, text_threshold, device="cpu"):
        super().__init__(model, max(box_threshold, 0.9), text_threshold, device)


def test_a_registered_format_is_written_and_published(sample_dir, tmp_path):
    out = tmp_path / "out"
    summary = run(
        AnnotateConfig(
            input=str(sample_dir), out=str(out), profile="ecot_sample", formats=("episode-index",)
        )
    )
    files = list((out / "episode_index").iterdir())
    lines = [json.loads(line) for p in files for line in p.read_text().splitlines()]
    assert len({line["key"] for line in lines}) == len(lines) == summary["episodes_out"] == 6
    assert all(line["steps"] > 0 for line in lines)


def test_a_registered_stage_runs_in_the_stage_shape(sample_dir):
    from ecot_annotate.episode import Annotation
    from ecot_annotate.profiles import load_profile
    from ecot_annotate.sources import SOURCES
    from ecot_annotate.sources.base import episode_refs
    from ecot_annotate.stages import build_stages, run_stage

    dataset = SOURCES.get("rlds").open(str(sample_dir), "train")
    episode = dataset.reader(load_profile("ecot_sample")).read(next(episode_refs(dataset)))
    (stage,) = build_stages(("count-words",), AnnotateConfig(input="", out=""))
    annotation = run_stage(stage, episode, Annotation())
    assert annotation.provenance["instruction_words"] == str(len(episode.instruction.split()))


def test_a_registered_detector_is_built_by_name(tmp_path):
    model = tiny_models.owlv2(tmp_path / "owl")
    detector = build_detector("owlv2-strict", str(model), 0.1, 0.1)
    assert isinstance(detector, StrictOwlv2Detector) and detector.box_threshold == 0.9
    frame = np.zeros((32, 48, 3), np.uint8)
    assert all(b.score >= 0.9 for b in detector.detect([frame], [["cup"]])[0])


def test_a_name_registers_once_and_unknown_names_list_the_choices():
    table: Registry[int] = Registry("widget")
    table.register("a")(1)
    with pytest.raises(ValueError, match="widget 'a' is already registered"):
        table.register("a")(2)
    with pytest.raises(InputError, match="unknown widget 'b'; choose from a"):
        table.get("b")
