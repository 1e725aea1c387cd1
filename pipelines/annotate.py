"""The annotation graph: read -> resume -> the plan's steps -> commit -> every output format, plus
quarantine.

Only orchestration lives here. Elements are `AnnotatedEpisode`s from the moment an episode is read;
every DoFn builds what it needs in `setup()` (models, clients), holds no global state and pickles,
so the same graph runs on DirectRunner, Dataflow, Flink or Spark.
"""

from __future__ import annotations

import json

import apache_beam as beam

from ecot_annotate.run_plan import RunPlan
from ecot_annotate.sources.base import declared_episodes
from ecot_annotate.stages import Work
from pipelines.batched import Batched
from pipelines.formats import FORMATS, WriteContext
from pipelines.quarantine import QUARANTINE, with_quarantine
from pipelines.read import ReadEpisodes
from pipelines.resume import CommitFn, FreshOnly, ResumeFn
from pipelines.stage_fn import RunStages


def build(
    pipeline: beam.Pipeline,
    plan: RunPlan,
    staging: str,
    progress: bool = False,
    annotate_missing: bool = True,
) -> None:
    """Add the whole annotation graph of `plan` to `pipeline`, writing under the `staging` folder.

    The steps are the plan's, in its order: consecutive per-episode steps in one pass over each
    episode, each batched step through RunInference. Episodes committed in the OUT manifest are
    not annotated again, and every fresh annotation is committed there before it is written. With
    `annotate_missing=False` (export), only committed episodes are written and the others are
    quarantined.
    """
    config, dataset = plan.config, plan.dataset
    episodes, read_quarantine = pipeline | "Read" >> ReadEpisodes(
        dataset, config.dataset_profile, config.limit, plan.frames
    )
    resume = ResumeFn(config.out, committed_only=not annotate_missing)
    items = episodes | "Resume" >> with_quarantine(resume, "items")
    quarantines = [read_quarantine, items[QUARANTINE]]
    items = items.items
    total = declared_episodes(dataset, config.limit)
    for work, group in plan.groups():
        label = "+".join(step.name for step in group)
        if work is Work.BATCH:
            batched = Batched(group[0], config, total, progress)
            items, failed = items | f"Batch[{label}]" >> FreshOnly(batched)
        else:
            items, failed = items | f"Steps[{label}]" >> RunStages(group, config)
        quarantines.append(failed)
    done = items | "Commit" >> beam.ParDo(CommitFn(config.out, total, progress, llm=plan.uses_llm))
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
