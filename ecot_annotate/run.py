"""Run an annotation job from a config: check inputs, run the Beam pipeline, finish the outputs.

`run(config)` is the library's entry point; the CLI only builds the config. Paths may be local or
gs:// / s3:// (through Beam's file systems).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from typing import Any

from ecot_annotate import __version__
from ecot_annotate.config import FORMATS, AnnotateConfig
from ecot_annotate.errors import EcotError, InputError
from ecot_annotate.manifest import Manifest, atomic_write
from ecot_annotate.profiles import load_profile, resolve_profile_name
from ecot_annotate.publish import clear_staging, new_staging, publish
from ecot_annotate.sinks.ecot_json import merge_lines
from ecot_annotate.sinks.rlds import source_version, write_metadata
from ecot_annotate.sources.select import check_source_profile, open_source
from ecot_annotate.stages.perception import check_perception

PUBLISHED = {
    "parquet": "parquet",
    "ecot-json": "ecot",
    "rlds": "rlds",
    "lerobot": "lerobot",
}  # format -> folder in OUT


def _fs():
    from apache_beam.io.filesystems import FileSystems

    return FileSystems


def _read_lines(pattern: str) -> list[str]:
    fs = _fs()
    lines: list[str] = []
    for meta in sorted(fs.match([pattern])[0].metadata_list, key=lambda m: m.path):
        with fs.open(meta.path) as handle:
            lines.extend(handle.read().decode().splitlines())
    return lines


def _delete(pattern: str) -> None:
    fs = _fs()
    paths = [m.path for m in fs.match([pattern])[0].metadata_list]
    if paths:
        fs.delete(paths)


def previous_summary(out: str) -> dict | None:
    path = f"{out}/summary.json"
    if not _fs().exists(path):
        return None
    with _fs().open(path) as handle:
        return json.loads(handle.read())


def prepare_output(config: AnnotateConfig) -> None:
    """Refuse to mix outputs of different settings; with --overwrite, start the folder afresh.

    Episodes committed by an earlier run with the same settings stay: this run resumes from them.
    """
    manifest = Manifest(config.out)
    previous_hash = (manifest.run_info() or previous_summary(config.out) or {}).get("config_hash")
    if previous_hash and previous_hash != config.content_hash():
        if not config.overwrite:
            raise EcotError(
                f"{config.out} holds a run made with other settings (config {previous_hash}, "
                f"now {config.content_hash()}); choose another --out or pass --overwrite"
            )
        manifest.clear()
        for pattern in (
            "parquet/*",
            "ecot/*",
            "rlds/**",
            "lerobot/**",
            "quarantine/*",
            "summary.json",
        ):
            _delete(f"{config.out}/{pattern}")
    manifest.start(config.content_hash(), asdict(config))


def finish_formats(config: AnnotateConfig, dataset: Any, staging: str) -> int:
    """Turn the pipeline's parts into finished formats inside `staging`; returns ECoT JSON entries."""
    written = 0
    if "ecot-json" in config.formats:
        with _fs().create(f"{staging}/ecot/reasonings.json") as handle:
            written = merge_lines(_read_lines(f"{staging}/ecot/parts/*"), handle)
        _delete(f"{staging}/ecot/parts/*")
    if "rlds" in config.formats:
        from pipelines.formats import rlds_folder

        write_metadata(
            rlds_folder(staging, dataset), dataset.features_json, source_version(dataset.root)
        )
    if "lerobot" in config.formats:
        from ecot_annotate.sinks.lerobot import finish_lerobot

        finish_lerobot(staging, config, dataset)
    return written


def pipeline_options(config: AnnotateConfig):
    from apache_beam.options.pipeline_options import PipelineOptions

    args = list(config.beam_args)
    if not any(a.startswith("--runner") for a in args):
        args.append("--runner=DirectRunner")
    return PipelineOptions(args)


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


def run(
    config: AnnotateConfig, progress: bool = False, annotate_missing: bool = True
) -> dict[str, Any]:
    """Annotate `config.input` into `config.out`; return the summary (also written to summary.json).

    With `annotate_missing=False` (export) only episodes committed in the manifest are written.
    """
    import apache_beam as beam

    from pipelines.annotate import build

    unknown = [f for f in config.formats if f not in FORMATS]
    if unknown:
        raise InputError(f"unknown output format(s) {unknown}; choose from {', '.join(FORMATS)}")
    dataset = open_source(config)
    config = replace(config, profile=resolve_profile_name(config.profile, dataset.name))
    profile = load_profile(config.profile)
    check_source_profile(config, dataset, profile)
    if config.reasoner == "llm":
        from ecot_annotate.reasoners.llm_client import check_llm_config

        check_llm_config(config.llm)
    check_perception(config.perception, config.llm)
    prepare_output(config)
    staging = new_staging(config.out)
    start = time.perf_counter()
    pipeline = beam.Pipeline(options=pipeline_options(config))
    build(
        pipeline,
        config,
        dataset,
        staging,
        progress=progress,
        resume_from=config.out,
        annotate_missing=annotate_missing,
    )
    result = pipeline.run()
    result.wait_until_finish()
    counters, stages = _metrics(result)
    written = finish_formats(config, dataset, staging)
    quarantined = [
        json.loads(line) for line in _read_lines(f"{staging}/quarantine/*.jsonl") if line.strip()
    ]
    publish(staging, config.out, [*(PUBLISHED[f] for f in config.formats), "quarantine"])
    summary = {
        "tool_version": __version__,
        "config_hash": config.content_hash(),
        "input": config.input,
        "dataset": dataset.name,
        "split": config.split,
        "profile": profile.name,
        "formats": list(config.formats),
        "backends": {
            "reasoner": config.reasoner,
            "detector": config.perception.detector,
            "segmenter": config.perception.segmenter,
            "captioner": config.perception.captioner,
        },
        "episodes_in": counters.get("episodes_in", 0),
        "episodes_out": counters.get("episodes_out", 0) - counters.get("episodes_write_failed", 0),
        "episodes_resumed": counters.get("episodes_resumed", 0),
        "episodes_quarantined": len(quarantined),
        "steps_in": counters.get("steps_in", 0),
        "steps_out": counters.get("steps_out", 0),
        "ecot_json_entries": written,
        "quarantine_reasons": sorted({f"{q['stage']}: {q['error']}" for q in quarantined})[:50],
        "stage_seconds": stages,
        "wall_seconds": round(time.perf_counter() - start, 3),
    }
    if config.reasoner == "llm":
        from ecot_annotate.reasoners.llm_usage import llm_summary

        summary["llm"] = {"model": config.llm.model, **llm_summary(counters)}
    atomic_write(
        f"{config.out}/summary.json", json.dumps(summary, indent=2, sort_keys=True).encode()
    )
    clear_staging(config.out)
    return summary
