"""Resume and commit: the two DoFns that make a run restartable without losing or redoing work.

`ResumeFn` sends an episode whose annotation is already committed straight to the writers (with
that annotation) and the rest on to be annotated; `CommitFn` commits each freshly annotated episode
to the manifest (atomically) before anything else is written from it.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from ecot_annotate.episode import AnnotatedEpisode, Annotation, Episode
from ecot_annotate.manifest import Manifest

NAMESPACE = "ecot"
TODO = "todo"


def committed_annotation(manifest: Manifest, key: str) -> Annotation | None:
    """The annotation committed for `key`; None when there is none or it is of another format."""
    try:
        return manifest.load(key)
    except ValueError:
        return None


class ResumeFn(beam.DoFn):
    """Main output: committed episodes with their annotation; TODO output: episodes to annotate."""

    def __init__(self, out: str):
        self.out = out
        self.resumed = Metrics.counter(NAMESPACE, "episodes_resumed")
        self.episodes_out = Metrics.counter(NAMESPACE, "episodes_out")
        self.steps_out = Metrics.counter(NAMESPACE, "steps_out")

    def setup(self):
        self.manifest = Manifest(self.out)

    def process(self, episode: Episode):
        annotation = committed_annotation(self.manifest, episode.key)
        if annotation is None:
            yield beam.pvalue.TaggedOutput(TODO, episode)
            return
        self.resumed.inc()
        self.episodes_out.inc()
        self.steps_out.inc(episode.n_steps)
        yield AnnotatedEpisode(episode, annotation)


class CommitFn(beam.DoFn):
    """Commit the annotation, then pass the episode on to the writers."""

    def __init__(self, out: str):
        self.out = out

    def setup(self):
        self.manifest = Manifest(self.out)

    def process(self, annotated: AnnotatedEpisode):
        self.manifest.commit(annotated.episode.key, annotated.annotation)
        yield annotated
