"""The scene caption of one episode: its first frame through the configured captioner.

One frame per episode is what ECoT captioned; the caption then feeds the detector's vocabulary
and the LLM reasoner's input, and is stored with the annotation (Parquet `caption`, ECoT JSON
`metadata.caption`). A caption that cannot be had quarantines the episode with the reason, since a
run that asked for captions must not silently write episodes without one.
"""

from __future__ import annotations

from ecot_annotate.backends.captioner import Captioner, captioner_model
from ecot_annotate.config import LLMConfig, PerceptionConfig
from ecot_annotate.episode import Annotation, Episode
from ecot_annotate.errors import EpisodeError


def captioner_provenance(config: PerceptionConfig, llm: LLMConfig) -> str:
    """`backend:model`, as the Parquet `captioner` column shows it."""
    return f"{config.captioner}:{captioner_model(config, llm)}"


def caption_episode(episode: Episode, captioner: Captioner, provenance: str) -> Annotation:
    """An Annotation holding the first frame's caption (whitespace collapsed); EpisodeError if none."""
    if not episode.images:
        raise EpisodeError("caption", "the episode has no frames to caption")
    try:
        text = captioner.caption(episode.images[0])
    except EpisodeError:
        raise
    except Exception as exc:  # noqa: BLE001 - one bad episode must not stop the run
        raise EpisodeError("caption", f"{type(exc).__name__}: {exc}") from exc
    text = " ".join(text.split())
    if not text:
        raise EpisodeError("caption", "the captioner answered with an empty caption")
    return Annotation(caption=text, provenance={"captioner": provenance})
