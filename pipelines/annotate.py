"""The annotation graph: read -> resume -> stages -> commit -> every output format, plus quarantine.

Only orchestration lives here. Elements are `AnnotatedEpisode`s from the moment an episode is read;
every DoFn builds what it needs in `setup()` (models, clients), holds no global state and pickles,
so the same graph runs on DirectRunner, Dataflow, Flink or Spark.
"""

from __future__ import annotations

import json

import apache_beam as beam

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.sources.base import declared_episodes
from ecot_annotate.stages import plan
from pipelines.formats import FORMATS, WriteContext
from pipelines.quarantine import QUARANTINE, with_quarantine
from pipelines.read import ReadEpisodes
from pipelines.resume import CommitFn, FreshOnly, ResumeFn
from pipelines.stage_fn import RunStages


def build(
    pipeline: beam.Pipeline,
    config: AnnotateConfig,
    dataset,
    staging: str,
    progress: bool = False,
    annotate_missing: bool = True,
) -> None:
    """Add the whole annotation graph to `pipeline`, writing under the `staging` folder.

    Episodes committed in `config.out`'s manifest are not annotated again, and every fresh
    annotation is committed there before it is written. With `annotate_missing=False` (export),
    only committed episodes are written and the others are quarantined.
    """
    episodes, read_quarantine = pipeline | "Read" >> ReadEpisodes(
        dataset, config.dataset_profile, config.limit
    )
    resume = ResumeFn(config.out, committed_only=not annotate_missing)
    items = episodes | "Resume" >> with_quarantine(resume, "items")
    quarantines = [read_quarantine, items[QUARANTINE]]
    items = items.items
    steps = plan(config)
    if steps.before_perception:
        items, failed = _stages("BeforePerception", items, steps.before_perception, config)
        quarantines.append(failed)
    if steps.perception:
        from pipelines.perception import Perceive

        items, failed = items | "Perceive" >> FreshOnly(Perceive(config.perception))
        quarantines.append(failed)
    total = declared_episodes(dataset, config.limit)
    if _batched_reasoning(config):
        items = _reasoning_in_batches(
            items, steps.after_perception, config, quarantines, total, progress
        )
    else:
        items, failed = _stages("Annotate", items, steps.after_perception, config)
        quarantines.append(failed)
    done = items | "Commit" >> beam.ParDo(
        CommitFn(config.out, total, progress, llm=config.reasoner == "llm")
    )
    ctx = WriteContext(config, dataset, staging)
    for name in config.formats:
        failed = FORMATS.get(name).write(done, ctx)
        if failed is not None:
            quarantines.append(failed)
    _ = (
        quarantines
        | "AllQuarantine" >> beam.Flatten()
        | "QuarantineJson" >> beam.Map(lambda rec: json.dumps(rec, sort_keys=True))
        | "WriteQuarantine"
        >> beam.io.WriteToText(
            f"{staging}/quarantine/quarantine", file_name_suffix=".jsonl", num_shards=1
        )
    )


def _batched_reasoning(config: AnnotateConfig) -> bool:
    """Whether the LLM backend takes episodes in batches (through RunInference), not one by one."""
    if config.reasoner != "llm":
        return False
    from ecot_annotate.backends.llm_backends import LLM_BACKENDS

    return LLM_BACKENDS.get(config.llm.backend).batched


def _reasoning_in_batches(
    items,
    names: tuple[str, ...],
    config: AnnotateConfig,
    quarantines: list,
    total: int | None,
    bar: bool,
):
    """The stages around `reasoning` as usual; reasoning itself batched through RunInference,
    with its own progress (`total` episodes in the run; a `bar` on a terminal)."""
    from pipelines.llm_inference import EmbeddedReasoning

    at = names.index("reasoning")
    if names[:at]:
        items, failed = _stages("BeforeReasoning", items, names[:at], config)
        quarantines.append(failed)
    items = items | "EmbeddedReasoning" >> FreshOnly(EmbeddedReasoning(config.llm, total, bar))
    if names[at + 1 :]:
        items, failed = _stages("AfterReasoning", items, names[at + 1 :], config)
        quarantines.append(failed)
    return items


def _stages(label: str, items, names: tuple[str, ...], config: AnnotateConfig):
    return items | label >> RunStages(names, config)
