"""Resume, commit, quarantine and the stage wrapper as Beam logic: each DoFn or transform in a
TestPipeline on Beam's FnApiRunner, its outputs checked with assert_that (the end-to-end runs that
use them are in test_resume, test_annotate and test_fault_matrix)."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import AnnotatedEpisode, Annotation
from ecot_annotate.errors import quarantine_record
from ecot_annotate.stages.base import stage_step
from ecot_annotate.store.manifest import Manifest
from pipelines.quarantine import QUARANTINE, to_quarantine, with_quarantine
from pipelines.resume import CommitFn, FreshOnly, ResumeFn
from pipelines.stage_fn import RunStages
from tests.support.datasets import decode_all


def _pipeline() -> BeamTestPipeline:
    return BeamTestPipeline(runner="FnApiRunner")


@pytest.fixture(scope="module")
def episodes(sample_dir):
    return decode_all(sample_dir, "ecot_sample")[:3]


def _committed_flags(items):
    return items | "Flags" >> beam.Map(lambda item: (item.episode.key, item.committed))


def test_resume_pairs_committed_episodes_with_their_annotation(episodes, tmp_path):
    first, *rest = episodes
    Manifest(str(tmp_path)).commit(
        first.key, Annotation(arm_primitives={"arm": ["stop"] * first.n_steps})
    )
    with _pipeline() as p:
        out = p | beam.Create(episodes) | with_quarantine(ResumeFn(str(tmp_path)), "items")
        assert_that(
            _committed_flags(out.items),
            equal_to([(first.key, True), *[(e.key, False) for e in rest]]),
        )
        assert_that(
            out.items | "Primitives" >> beam.Map(lambda i: (i.episode.key, i.annotation.moves[:1])),
            equal_to([(first.key, ["stop"]), *[(e.key, []) for e in rest]]),
            label="Annotations",
        )
        assert_that(out[QUARANTINE], equal_to([]), label="NoQuarantine")


def test_resume_for_export_quarantines_what_no_run_committed(episodes, tmp_path):
    first, *rest = episodes
    Manifest(str(tmp_path)).commit(first.key, Annotation())
    reason = "the run holds no committed annotation of this episode"
    with _pipeline() as p:
        out = (
            p
            | beam.Create(episodes)
            | with_quarantine(ResumeFn(str(tmp_path), committed_only=True), "items")
        )
        assert_that(_committed_flags(out.items), equal_to([(first.key, True)]))
        assert_that(
            out[QUARANTINE],
            equal_to([quarantine_record(e.key, "export", reason) for e in rest]),
            label="Quarantine",
        )


def test_commit_writes_fresh_annotations_and_passes_every_episode_on(episodes, tmp_path):
    fresh, already = episodes[0], episodes[1]
    items = [
        AnnotatedEpisode(fresh, Annotation(arm_primitives={"arm": ["move up"] * fresh.n_steps})),
        AnnotatedEpisode(already, Annotation(), committed=True),
    ]
    with _pipeline() as p:
        done = p | beam.Create(items) | beam.ParDo(CommitFn(str(tmp_path), 2, progress=False))
        assert_that(_committed_flags(done), equal_to([(fresh.key, False), (already.key, True)]))
    manifest = Manifest(str(tmp_path))
    assert manifest.load(fresh.key).moves == ["move up"] * fresh.n_steps
    assert manifest.load(already.key) is None  # a committed episode is not written again


class _SplitOdd(beam.DoFn):
    def process(self, n: int):
        if n % 2:
            yield to_quarantine(quarantine_record(str(n), "test", "odd"))
        else:
            yield n


def test_quarantine_records_leave_by_their_own_output():
    with _pipeline() as p:
        out = p | beam.Create(range(5)) | with_quarantine(_SplitOdd(), "numbers")
        assert_that(out.numbers, equal_to([0, 2, 4]))
        assert_that(
            out[QUARANTINE],
            equal_to([quarantine_record(str(n), "test", "odd") for n in (1, 3)]),
            label="Quarantine",
        )


class FailsOnLongStage:
    """A stage for these tests: marks short episodes, raises on episodes over 51 steps."""

    name = "fails-on-long"

    def __init__(self, config, count):
        self.count = count

    def setup(self) -> None:
        return None

    def run(self, episode, annotation):
        if episode.n_steps > 51:
            raise ValueError(f"{episode.n_steps} steps")
        annotation.provenance["marked"] = "yes"
        return annotation


FAILS_ON_LONG = stage_step("fails-on-long", FailsOnLongStage)


def test_the_stage_wrapper_runs_fresh_episodes_quarantines_failures_and_skips_committed(
    episodes,
):
    config = AnnotateConfig(input="", out="")
    committed = AnnotatedEpisode(episodes[0], Annotation(provenance={"kept": "as is"}), True)
    fresh = [AnnotatedEpisode(e, Annotation()) for e in episodes]
    expect_done = [(committed.episode.key, {"kept": "as is"})]
    expect_failed = []
    for e in episodes:
        if e.n_steps > 51:
            reason = f"ValueError: {e.n_steps} steps"
            expect_failed.append(quarantine_record(e.key, "fails-on-long", reason))
        else:
            expect_done.append((e.key, {"marked": "yes"}))
    assert expect_failed and len(expect_done) > 1, [e.n_steps for e in episodes]
    with _pipeline() as p:
        done, failed = (
            p | beam.Create([committed, *fresh]) | FreshOnly(RunStages((FAILS_ON_LONG,), config))
        )
        assert_that(
            done | beam.Map(lambda i: (i.episode.key, i.annotation.provenance)),
            equal_to(expect_done),
        )
        assert_that(failed, equal_to(expect_failed), label="Quarantine")


def test_committed_episodes_go_around_a_transform_without_quarantine(episodes):
    committed = AnnotatedEpisode(episodes[0], Annotation(), committed=True)
    fresh = AnnotatedEpisode(episodes[1], Annotation())
    seen = beam.Map(lambda i: AnnotatedEpisode(i.episode, Annotation(caption="seen")))
    with _pipeline() as p:
        out = p | beam.Create([committed, fresh]) | FreshOnly(seen)
        assert_that(
            out | beam.Map(lambda i: (i.episode.key, i.annotation.caption)),
            equal_to([(committed.episode.key, None), (fresh.episode.key, "seen")]),
        )
