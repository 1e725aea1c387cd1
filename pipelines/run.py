"""Run an annotation job from a config: check inputs, run the Beam pipeline, finish the outputs.

`run(config)` is the entry point; the CLI only builds the config. Paths may be local or
gs:// / s3:// (through Beam's file systems).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from ecot_annotate import __version__, fs
from ecot_annotate.config import AnnotateConfig
from ecot_annotate.errors import disk_full_as_one_line
from ecot_annotate.profiles.resolve import profile_summary
from ecot_annotate.quiet import worker_log_args
from ecot_annotate.run_plan import RunPlan, prepare
from ecot_annotate.sources.base import declared_episodes
from ecot_annotate.stages.motion import UNKNOWN_ARM
from ecot_annotate.stages.motion_thresholds import describe as describe_motion
from ecot_annotate.store.manifest import atomic_write
from ecot_annotate.store.run_lock import run_lock
from pipelines.formats import FORMATS, OutputFormat, WriteContext
from pipelines.publish import clear_staging, new_staging, publish
from pipelines.quarantine import DAMAGE
from pipelines.rerun import prepare_output


def pipeline_options(config: AnnotateConfig):
    from apache_beam.options.pipeline_options import PipelineOptions

    args = list(config.beam_args)
    if not any(a.startswith("--runner") for a in args):
        args.append("--runner=DirectRunner")
    return PipelineOptions([*args, *worker_log_args(args)])


def new_pipeline(config: AnnotateConfig):
    """A pipeline on `config`'s runner; DirectRunner is Beam's FnApiRunner, chosen explicitly.

    Beam 2.77's DirectRunner first tries PrismRunner (a Go binary it downloads on first use) and
    falls back to the FnApiRunner when that fails. The FnApiRunner is the one every test runs, so
    DirectRunner names it here, built as the DirectRunner builds it (the options travel to worker
    processes through the provision info); `--runner PrismRunner` runs on Prism by choice.
    """
    import apache_beam as beam
    from apache_beam.options.pipeline_options import StandardOptions

    options = pipeline_options(config)
    if options.view_as(StandardOptions).runner not in ("DirectRunner", "SwitchingDirectRunner"):
        return beam.Pipeline(options=options)
    from apache_beam.portability.api import beam_provision_api_pb2
    from apache_beam.runners.portability.fn_api_runner import fn_runner
    from apache_beam.runners.portability.portable_runner import JobServiceHandle

    encoded = JobServiceHandle.encode_pipeline_options(options.get_all_options())
    provision = fn_runner.ExtendedProvisionInfo(
        beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded)
    )
    return beam.Pipeline(runner=fn_runner.FnApiRunner(provision_info=provision), options=options)


def _metrics(result) -> tuple[dict[str, int], dict[str, dict[str, float]]]:
    from apache_beam.metrics.metric import MetricsFilter

    query = result.metrics().query(MetricsFilter().with_namespace("ecot"))
    counters: dict[str, int] = {}
    for c in query["counters"]:
        counters[c.key.metric.name] = counters.get(c.key.metric.name, 0) + int(
            c.committed or c.attempted or 0
        )
    stages: dict[str, dict[str, float]] = {}
    for d in query["distributions"]:
        value = d.committed or d.attempted
        if value is None or not value.count:
            continue
        stage = d.key.metric.name.removeprefix("us_")
        entry = stages.setdefault(stage, {"count": 0, "total_s": 0.0})
        entry["count"] += value.count
        entry["total_s"] += value.sum / 1e6
    return counters, stages


def outputs() -> dict[str, OutputFormat]:
    """Every registered output format by name, as the plan asks about them."""
    return {name: FORMATS.get(name) for name in FORMATS.names()}


def run(
    config: AnnotateConfig,
    progress: bool = False,
    annotate_missing: bool = True,
    announce: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Annotate `config.input` into `config.out`; return the summary (also written to summary.json).

    With `annotate_missing=False` (export) only episodes committed in the manifest are written.
    `announce` receives a short block naming the profile and where each part of an episode
    comes from, before any work, and a line when this run extends an earlier one in OUT. A
    second run into the same OUT while this one runs stops at once (RunLockedError).
    """
    plan = prepare(config, outputs())
    if announce is not None:
        for line in plan.warnings:
            announce(line)
        announce(profile_summary(plan.config.dataset_profile, plan.profile_how))
        if plan.skipped:
            announce(plan.skipped)
        announce(describe_motion(plan.config, plan.calibration))
    with disk_full_as_one_line(config.out), run_lock(config.out):
        extended, note = prepare_output(plan.config)
        if note and announce is not None:
            announce(note)
        return _run_locked(plan.with_outputs(extended, outputs()), progress, annotate_missing, note)


def _run_locked(
    plan: RunPlan, progress: bool, annotate_missing: bool, note: str | None
) -> dict[str, Any]:
    """The run proper, while this process holds OUT's lock."""
    from pipelines.annotate import build

    config, dataset = plan.config, plan.dataset
    staging = new_staging(config.out)
    start = time.perf_counter()
    pipeline = new_pipeline(config)
    build(pipeline, plan, staging, progress, annotate_missing)
    result = pipeline.run()
    result.wait_until_finish()
    counters, stages = _metrics(result)
    ctx = WriteContext(config, dataset, staging)
    finished: dict[str, int] = {}
    for name in config.formats:
        finished.update(FORMATS.get(name).finish(ctx))
    quarantined = [
        json.loads(line) for line in fs.read_lines(f"{staging}/quarantine/*.jsonl") if line.strip()
    ]
    damage = [q for q in quarantined if q["stage"] == DAMAGE]
    publish(staging, config.out, [*(FORMATS.get(f).folder for f in config.formats), "quarantine"])
    summary = {
        "tool_version": __version__,
        "config_hash": plan.content_hash,
        "input": config.input,
        "dataset": dataset.name,
        "source": config.source,
        "split": config.split,
        "profile": config.dataset_profile.name,
        "formats": list(config.formats),
        "backends": {
            "reasoner": config.reasoner,
            "detector": config.perception.detector,
            "segmenter": config.perception.segmenter,
            "captioner": config.perception.captioner,
        },
        "motion": plan.motion(),
        "steps": [step.name for step in plan.steps],
        "episodes_declared": declared_episodes(dataset, config.limit),
        "episodes_in": counters.get("episodes_in", 0),
        "episodes_out": counters.get("episodes_out", 0) - counters.get("episodes_write_failed", 0),
        "episodes_resumed": counters.get("episodes_resumed", 0),
        "episodes_quarantined": len(quarantined) - len(damage),
        "damaged_spans": len(damage),
        "episodes_unknown_arm": counters.get(UNKNOWN_ARM, 0),  # move/stop from joint speed
        "steps_in": counters.get("steps_in", 0),
        "steps_out": counters.get("steps_out", 0),
        "frames": {  # decoded from video; looked at by the detector
            "decoded": counters.get("frames_decoded", 0),
            "perceived": counters.get("frames_perceived", 0),
        },
        "ecot_json_entries": finished.get("ecot_json_entries", 0),
        "quarantine_reasons": sorted({f"{q['stage']}: {q['error']}" for q in quarantined})[:50],
        "stage_seconds": stages,
        "wall_seconds": round(time.perf_counter() - start, 3),
    }
    if note:
        summary["rerun"] = note
    if plan.uses_llm:
        from ecot_annotate.backends.llm_backends import answer_mode
        from ecot_annotate.reasoners.llm_usage import llm_summary

        summary["llm"] = {
            "backend": config.llm.backend,
            "model": config.llm.model,
            "mode": answer_mode(config.llm),
            "max_fallback_rate": config.llm.max_fallback_rate,
            **llm_summary(counters),
        }
    atomic_write(
        f"{config.out}/summary.json", json.dumps(summary, indent=2, sort_keys=True).encode()
    )
    clear_staging(config.out)
    return summary
