"""Resume and commit: what makes a run restartable without losing or redoing work.

`ResumeFn` pairs each episode with its committed annotation when the run's manifest holds one
(the stages then leave it alone) or with an empty one; `CommitFn` commits each fresh annotation
to the manifest (atomically) before anything is written from it, and counts what goes out.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from ecot_annotate.episode import AnnotatedEpisode, Annotation, Episode
from ecot_annotate.errors import quarantine_record
from ecot_annotate.progress import ProgressLog
from ecot_annotate.store.manifest import Manifest
from pipelines.quarantine import NAMESPACE, to_quarantine

NOT_COMMITTED = "export"  # the quarantine stage of an episode export finds no annotation of


def committed_annotation(manifest: Manifest, key: str) -> Annotation | None:
    """The annotation committed for `key`; None when there is none or it is of another format."""
    try:
        return manifest.load(key)
    except ValueError:
        return None


class FreshOnly(beam.PTransform):
    """Applies `inner` to the episodes no earlier run committed; committed ones go around it
    untouched. `inner` returns its episodes, or (episodes, quarantine records)."""

    def __init__(self, inner: beam.PTransform):
        super().__init__()
        self.inner = inner

    def expand(self, items):
        committed, fresh = items | "SplitCommitted" >> beam.Partition(
            lambda item, _: 0 if item.committed else 1, 2
        )
        result = fresh | "Fresh" >> self.inner
        if isinstance(result, tuple):
            done, quarantine = result
            return (committed, done) | "Rejoin" >> beam.Flatten(), quarantine
        return (committed, result) | "Rejoin" >> beam.Flatten()


class ResumeFn(beam.DoFn):
    """Episode -> AnnotatedEpisode; with `committed_only` (export), the rest go to quarantine."""

    def __init__(self, out: str, committed_only: bool = False):
        self.out, self.committed_only = out, committed_only
        self.resumed = Metrics.counter(NAMESPACE, "episodes_resumed")

    def setup(self):
        self.manifest = Manifest(self.out)

    def process(self, episode: Episode):
        annotation = committed_annotation(self.manifest, episode.key)
        if annotation is not None:
            self.resumed.inc()
            yield AnnotatedEpisode(episode, annotation, committed=True)
        elif self.committed_only:
            yield to_quarantine(
                quarantine_record(
                    episode.key,
                    NOT_COMMITTED,
                    "the run holds no committed annotation of this episode",
                )
            )
        else:
            yield AnnotatedEpisode(episode, Annotation())


class CommitFn(beam.DoFn):
    """Commit fresh annotations, then pass every episode on to the writers.

    Progress is reported here, where episodes are done: a bar on a terminal (`progress`), else a
    log line every few seconds, which worker logs (Dataflow's too) collect.
    """

    def __init__(self, out: str, total: int | None, progress: bool, llm: bool = False):
        self.out, self.total, self.progress, self.llm = out, total, progress, llm
        self.episodes_out = Metrics.counter(NAMESPACE, "episodes_out")
        self.steps_out = Metrics.counter(NAMESPACE, "steps_out")

    def setup(self):
        self.manifest = Manifest(self.out)
        self.bar = self.log = None
        if self.progress:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="episode", desc="annotate", leave=False)
        else:
            in_flight = None
            if self.llm:
                from ecot_annotate.backends.llm_client import in_flight
            self.log = ProgressLog(self.total, in_flight=in_flight)

    def process(self, item: AnnotatedEpisode):
        if not item.committed:
            self.manifest.commit(item.episode.key, item.annotation)
        if self.bar is not None:
            self.bar.update(1)
        if self.log is not None:
            self.log.add(steps=item.episode.n_steps)
        self.episodes_out.inc()
        self.steps_out.inc(item.episode.n_steps)
        yield item

    def teardown(self):
        if getattr(self, "bar", None) is not None:
            self.bar.close()
