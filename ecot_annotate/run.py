"""Run an annotation job from a config: check inputs, run the Beam pipeline, finish the outputs.

`run(config)` is the library's entry point; the CLI only builds the config. Paths may be local or
gs:// / s3:// (through Beam's file systems).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from ecot_annotate import __version__
from ecot_annotate.config import FORMATS, AnnotateConfig
from ecot_annotate.errors import EcotError, InputError
from ecot_annotate.profiles import load_profile, resolve_profile_name
from ecot_annotate.sinks.ecot_json import merge_lines
from ecot_annotate.sources.rlds import check_profile, open_rlds


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


def _write_json(path: str, data: Any) -> None:
    with _fs().create(path) as handle:
        handle.write(json.dumps(data, indent=2, sort_keys=True).encode())


def previous_summary(out: str) -> dict | None:
    path = f"{out}/summary.json"
    if not _fs().exists(path):
        return None
    with _fs().open(path) as handle:
        return json.loads(handle.read())


def prepare_output(config: AnnotateConfig) -> None:
    """Refuse to mix outputs of different settings; clear what this run will write again."""
    previous = previous_summary(config.out)
    if previous and previous.get("config_hash") != config.content_hash() and not config.overwrite:
        raise EcotError(
            f"{config.out} holds a run made with other settings (config {previous.get('config_hash')}, "
            f"now {config.content_hash()}); choose another --out or pass --overwrite"
        )
    for pattern in ("parquet/*", "ecot/parts/*", "ecot/reasonings.json", "quarantine/*", "summary.json"):
        _delete(f"{config.out}/{pattern}")


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
        counters[c.key.metric.name] = counters.get(c.key.metric.name, 0) + int(c.committed or c.attempted or 0)
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


def run(config: AnnotateConfig, progress: bool = False) -> dict[str, Any]:
    """Annotate `config.input` into `config.out`; return the summary (also written to summary.json)."""
    import apache_beam as beam

    from pipelines.annotate import build

    unknown = [f for f in config.formats if f not in FORMATS]
    if unknown:
        raise InputError(f"unknown output format(s) {unknown}; choose from {', '.join(FORMATS)}")
    dataset = open_rlds(config.input, config.split)
    config = replace(config, profile=resolve_profile_name(config.profile, dataset.name))
    profile = load_profile(config.profile)
    check_profile(dataset, profile)
    prepare_output(config)
    start = time.perf_counter()
    pipeline = beam.Pipeline(options=pipeline_options(config))
    build(pipeline, config, dataset, config.out, progress=progress)
    result = pipeline.run()
    result.wait_until_finish()
    counters, stages = _metrics(result)
    written = 0
    if "ecot-json" in config.formats:
        with _fs().create(f"{config.out}/ecot/reasonings.json") as handle:
            written = merge_lines(_read_lines(f"{config.out}/ecot/parts/*"), handle)
        _delete(f"{config.out}/ecot/parts/*")
    quarantined = [json.loads(line) for line in _read_lines(f"{config.out}/quarantine/*.jsonl") if line.strip()]
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
        "episodes_out": counters.get("episodes_out", 0),
        "episodes_quarantined": len(quarantined),
        "steps_in": counters.get("steps_in", 0),
        "steps_out": counters.get("steps_out", 0),
        "ecot_json_entries": written,
        "quarantine_reasons": sorted({f"{q['stage']}: {q['error']}" for q in quarantined})[:50],
        "stage_seconds": stages,
        "wall_seconds": round(time.perf_counter() - start, 3),
    }
    _write_json(f"{config.out}/summary.json", summary)
    return summary
