"""The recipes of docs/ARCHITECTURE.md, proved: a new stage, output format, detector backend,
source and reasoner are each one class (or factory) plus one registration, and then run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import apache_beam as beam
import numpy as np
import pytest

from ecot_annotate import fs
from ecot_annotate.backends.detectors import DETECTORS, build_detector
from ecot_annotate.backends.detectors.owlv2 import Owlv2Detector
from ecot_annotate.config import AnnotateConfig
from ecot_annotate.counting import Count, no_count
from ecot_annotate.episode import Episode
from ecot_annotate.errors import EpisodeError, InputError
from ecot_annotate.frames import PIXELS, FrameRequest
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.profiles.kinematics import episode_arms
from ecot_annotate.profiles.layout import DatasetLayout
from ecot_annotate.reasoners import REASONERS, ReasonerKind
from ecot_annotate.registry import Registry
from ecot_annotate.sources import SOURCES
from ecot_annotate.sources.base import DatasetFolder
from ecot_annotate.stages import STEPS, Step, register_step, stage_step, steps
from ecot_annotate.store.manifest import Manifest
from pipelines.formats import FORMATS, OutputFormat, WriteContext
from pipelines.run import run
from tests.support import tiny_models
from tests.support.datasets import decode_all


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


class CountWordsStage:
    """An example stage: how many words the instruction has, kept in the provenance (after the
    motion primitives, before the reasoning)."""

    name = "count-words"

    def __init__(self, config, count):
        self.count = count

    def setup(self) -> None:
        return None

    def run(self, episode, annotation):
        words = len(episode.instruction.split())
        annotation.provenance["instruction_words"] = f"{words} words, {annotation.n_steps} moves"
        self.count("instructions_counted", 1)
        return annotation


def count_words_step(config: AnnotateConfig) -> Step:
    return stage_step("count-words", CountWordsStage, reads=("instruction", "arm_primitives"))


@DETECTORS.register("owlv2-strict")
class StrictOwlv2Detector(Owlv2Detector):
    """An example detector backend: OWLv2 that never keeps a box under 0.9."""

    name = "owlv2-strict"

    def __init__(self, model, box_threshold, text_threshold, device="cpu"):
        super().__init__(model, max(box_threshold, 0.9), text_threshold, device)


class NpzReader:
    """Reads one .npz file into an Episode."""

    def __init__(self, dataset: NpzEpisodes, profile: DatasetProfile):
        self.dataset, self.profile = dataset, profile

    def where(self, ref: str) -> tuple[str, str]:
        return Path(ref).stem, ref

    def identity(self, ref: str) -> tuple[tuple, tuple]:
        return ("key", Path(ref).stem), (ref,)

    def read(self, ref: str) -> Episode:
        try:
            data = np.load(ref)
            frames, ends = data["frames"].tobytes(), data["frame_ends"]
            images = [frames[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
            state, action = data["state"].astype(np.float32), data["action"].astype(np.float32)
        except (OSError, KeyError, ValueError) as exc:
            raise EpisodeError("decode", f"{ref}: {exc}") from exc
        key, n = Path(ref).stem, len(images)
        return Episode(
            key=key,
            dataset=self.dataset.name,
            instruction=str(data["instruction"]),
            images=images,
            image_size=(int(data["width"]), int(data["height"])),
            state=state,
            action=action,
            arms=episode_arms(self.profile, state, action, key),
            is_first=np.arange(n) == 0,
            is_last=np.arange(n) == n - 1,
            is_terminal=np.arange(n) == n - 1,
        )

    def close(self) -> None:
        return None


@dataclass
class NpzEpisodes(DatasetFolder):
    """An example source: a folder of .npz files, one episode each (JPEG frames end to end, state,
    action, instruction), listed in episodes.txt."""

    title: ClassVar[str] = "a folder of .npz episodes"
    marker: ClassVar[str] = "episodes.txt"
    copies_records: ClassVar[bool] = False

    files: list[str]
    num_episodes: int | None

    @classmethod
    def open(cls, root: str, split: str = "train") -> NpzEpisodes:
        listing = Path(root) / cls.marker
        if not listing.is_file():
            raise InputError(f"{root} is not {cls.title}: it needs {cls.marker}")
        files = [str(Path(root) / name) for name in listing.read_text().split()]
        return cls(root, Path(root).name, split, files, len(files))

    def layout(self) -> DatasetLayout:
        return DatasetLayout(self.name)

    def check(self, profile: DatasetProfile) -> None:
        if not self.files:
            raise InputError(f"{self.root}/{self.marker} lists no episode")

    def units(self, limit: int | None) -> list[str]:
        return self.files if limit is None else self.files[:limit]

    def refs(self, unit: str, limit: int | None) -> Iterator[str]:
        yield unit

    def reader(
        self, profile: DatasetProfile, frames: FrameRequest = PIXELS, count: Count = no_count
    ) -> NpzReader:
        return NpzReader(self, profile)

    def frames_in_video(self, profile: DatasetProfile) -> bool:
        return False


class ShoutingReasoner:
    """An example reasoner: the rule writer's text, with each step's move in capitals."""

    def __init__(self):
        from ecot_annotate.reasoners.rules import RuleReasoner

        self.rules = RuleReasoner()

    def reason(self, episode, annotation):
        annotation = self.rules.reason(episode, annotation)
        annotation.reasoning = [replace(r, move=r.move.upper()) for r in annotation.reasoning]
        return annotation


@pytest.fixture
def registered(monkeypatch):
    """The example source, reasoner and step registered for one test, so that other tests (and
    their messages, which list every source) see the tables as shipped."""
    for table in (SOURCES, REASONERS, STEPS):
        monkeypatch.setattr(table, "_entries", dict(table._entries))
    SOURCES.register("npz-episodes")(NpzEpisodes)
    REASONERS.register("shouting")(ReasonerKind(lambda llm, count: ShoutingReasoner()))
    register_step("count-words", after=("motion",), before=("reasoning",))(count_words_step)


def test_a_registered_source_and_reasoner_run_through_the_pipeline(
    registered, sample_dir, tmp_path
):
    folder = tmp_path / "npz"
    folder.mkdir()
    episodes = decode_all(sample_dir, "ecot_sample")[:3]
    for i, episode in enumerate(episodes):
        np.savez(
            folder / f"ep{i}.npz",
            frames=np.frombuffer(b"".join(episode.images), np.uint8),
            frame_ends=np.cumsum([len(frame) for frame in episode.images]),
            state=episode.state,
            action=episode.action,
            instruction=episode.instruction,
            width=episode.image_size[0],
            height=episode.image_size[1],
        )
    (folder / "episodes.txt").write_text("ep0.npz\nep1.npz\nep2.npz\n")
    out = tmp_path / "out"
    config = AnnotateConfig(
        input=str(folder),
        out=str(out),
        source="npz-episodes",
        profile="ecot_sample",
        reasoner="shouting",
        formats=("parquet",),
    )
    summary = run(config)
    assert (summary["episodes_in"], summary["episodes_out"]) == (3, 3)
    assert summary["episodes_declared"] == 3
    import pyarrow.dataset as pads

    table = pads.dataset(str(out / "parquet"), format="parquet").to_table()
    assert sorted(set(table.column("episode_key").to_pylist())) == ["ep0", "ep1", "ep2"]
    moves = table.column("move").to_pylist()
    assert moves and all(m == m.upper() for m in moves)
    assert sum(len(e.images) for e in episodes) == table.num_rows


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


def test_a_registered_step_runs_in_its_place_in_a_real_run(registered, sample_dir, tmp_path):
    config = AnnotateConfig(
        input=str(sample_dir), out=str(tmp_path / "out"), profile="ecot_sample", limit=3
    )
    assert [s.name for s in steps(config)] == [
        "motion",
        "subtasks",
        "count-words",
        "reasoning",
        "validate",
    ]
    summary = run(config)
    assert summary["steps"] == ["motion", "subtasks", "count-words", "reasoning", "validate"]
    assert summary["stage_seconds"]["count-words"]["count"] == 3
    import pyarrow.dataset as pads

    table = pads.dataset(str(tmp_path / "out" / "parquet"), format="parquet").to_table()
    keys = table.column("episode_key").to_pylist()
    words = {
        episode.key: f"{len(episode.instruction.split())} words, {episode.n_steps} moves"
        for episode in decode_all(sample_dir, "ecot_sample")[:3]
    }
    manifest = Manifest(str(tmp_path / "out"))
    assert {k: manifest.load(k).provenance["instruction_words"] for k in set(keys)} == words


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
