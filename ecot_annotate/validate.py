"""Check a run's config against its dataset before any work, and report every problem at once.

A long run should not die an hour in on a setting that was wrong from the start, and a user with
three mistakes should not need three tries to learn of them. Each check yields the problems it
finds; `problems` runs them all.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ecot_annotate.config import AnnotateConfig, LLMConfig, PerceptionConfig
from ecot_annotate.errors import EcotError, InputError, MissingWeightsError
from ecot_annotate.geometry.gripper_fit import FIT_METHODS
from ecot_annotate.sources.base import Source


class ConfigProblems(EcotError):
    """Several problems with one run's settings, one per line."""

    def __init__(self, problems: list[EcotError]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class GoingOn(EcotError):
    """A problem the run can go on with: said in one line, not raised."""


def _collect(check: Callable[[], Any]) -> Iterator[EcotError]:
    try:
        check()
    except EcotError as exc:
        yield exc


def check_settings(config: AnnotateConfig) -> Iterator[EcotError]:
    """Option values no dataset could make right: each refused with the option's name."""
    hz = config.control_hz
    if hz is not None and not (math.isfinite(hz) and hz > 0):
        yield InputError(f"--control-hz must be a positive number of Hz, got {hz}")
    if config.limit is not None and config.limit < 1:
        yield InputError(f"--limit must be at least 1, got {config.limit}")
    if config.num_shards < 0:
        yield InputError(
            f"--num-shards must be 0 (the runner decides) or more, got {config.num_shards}"
        )
    if "://" not in config.out and os.path.exists(config.out) and not os.path.isdir(config.out):
        yield InputError(f"--out {config.out} is a file; name a folder")


def check_outputs(
    config: AnnotateConfig, dataset: Source, formats: Mapping[str, bool]
) -> Iterator[EcotError]:
    """`formats` maps every known output format to whether it copies the source's records."""
    if not config.formats:
        yield InputError(f"--format names no format; choose from {', '.join(sorted(formats))}")
    unknown = [f for f in config.formats if f not in formats]
    if unknown:
        yield InputError(
            f"unknown output format(s) {unknown}; choose from {', '.join(sorted(formats))}"
        )
    copying = [f for f in config.formats if formats.get(f) and not dataset.copies_records]
    for name in copying:
        yield InputError(
            f"--format {name} copies the source's RLDS records, so it needs an RLDS input "
            f"(not --source {config.source})"
        )
    if "lerobot" in config.formats and "://" in config.out:
        yield InputError("--format lerobot writes a local folder; choose a local --out")


def check_perception(config: PerceptionConfig, llm: LLMConfig) -> Iterator[EcotError]:
    """Impossible perception settings and missing models.

    The device is checked last, and only when every model is here: it loads torch, which takes
    seconds, and with a model missing there is nothing to put on a device yet.
    """
    found = list(_check_perception(config, llm))
    yield from found
    if (config.captions or config.detects) and not any(
        isinstance(p, MissingWeightsError) for p in found
    ):
        from ecot_annotate.backends.device import resolve_device

        yield from _collect(lambda: resolve_device(config.device))


def _check_perception(config: PerceptionConfig, llm: LLMConfig) -> Iterator[EcotError]:
    if config.captions:
        from ecot_annotate.backends.captioner import check_captioner

        yield from _collect(lambda: check_captioner(config, llm))
    if not config.detects:
        if config.segments:
            yield InputError(
                "--segmenter needs a detector to find the gripper's box (set --detector)"
            )
        return
    for name, value in (
        ("--box-threshold", config.box_threshold),
        ("--text-threshold", config.text_threshold),
    ):
        if not 0.0 <= value < 1.0:
            yield InputError(f"{name} must be in [0, 1), got {value}")
    if config.detect_every < 1:
        yield InputError(f"--detect-every must be at least 1, got {config.detect_every}")
    if config.batch_size < 1:
        yield InputError(f"--batch-size must be at least 1, got {config.batch_size}")
    if config.gripper_fit not in FIT_METHODS:
        yield InputError(
            f"unknown gripper fit '{config.gripper_fit}' (choose from {', '.join(FIT_METHODS)})"
        )
    yield from _collect(lambda: _check_models(config))


def _check_models(config: PerceptionConfig) -> None:
    from ecot_annotate.backends.detectors import detector_class
    from ecot_annotate.backends.segmenter import SEGMENTERS
    from ecot_annotate.backends.weights import check_model
    from ecot_annotate.stages.perception import detector_model, segmenter_model

    cls = detector_class(config.detector)
    check_model(detector_model(config), "--detector-model", cls.model_types, f"{cls.name} detector")
    if config.segments:
        sam = SEGMENTERS.get(config.segmenter)
        check_model(segmenter_model(config), "--segmenter-model", sam.model_types, "SAM segmenter")


def check_reasoner(config: AnnotateConfig) -> Iterator[EcotError]:
    from ecot_annotate.reasoners import REASONERS

    unknown = list(_collect(lambda: REASONERS.get(config.reasoner)))
    yield from unknown
    if not unknown and REASONERS.get(config.reasoner).uses_llm:
        yield from check_llm_backend(config.llm)


def check_llm_backend(config: LLMConfig) -> Iterator[EcotError]:
    """The backend's settings, then whether it can answer (a server's preflight, a model's files)."""
    from ecot_annotate.backends.llm_backends import LLM_BACKENDS

    found = list(_collect(lambda: LLM_BACKENDS.get(config.backend).check(config)))
    if not found:
        ready = LLM_BACKENDS.get(config.backend).ready
        found = [_unless_cached(p, config) for p in _collect(lambda: ready(config))]
    yield from found


def _unless_cached(problem: EcotError, config: LLMConfig) -> EcotError:
    """A server that fails its preflight stops the run, unless the answer cache holds answers
    from this server and model: a rerun may need no request at all, and episodes without a
    cached answer fall back to the rules, which `--max-fallback-rate` judges."""
    from ecot_annotate.backends.llm_preflight import PreflightFailed
    from ecot_annotate.prompt_texts import load_prompts
    from ecot_annotate.reasoners.llm_cache import AnswerCache, answer_source, default_cache_dir

    if not isinstance(problem, PreflightFailed) or not config.cache:
        return problem
    cache = AnswerCache(config.cache_dir or default_cache_dir())
    if not cache.holds_answers_from(answer_source(config, load_prompts().hash)):
        return problem
    return GoingOn(
        f"{problem}; going on with the answers cached from this server and model "
        "(episodes without one fall back to the rules)"
    )


def problems(
    config: AnnotateConfig,
    dataset: Source,
    formats: Mapping[str, bool],
) -> list[EcotError]:
    """Everything wrong with running `config` on `dataset`; empty when the run can start."""
    return [
        *check_settings(config),
        *check_outputs(config, dataset, formats),
        *_collect(lambda: dataset.check(config.dataset_profile)),
        *check_reasoner(config),
        *check_perception(config.perception, config.llm),
    ]


def raise_problems(found: list[EcotError]) -> list[str]:
    """One problem raises as itself; several raise together, one per line. Returns the lines of
    the problems the run goes on with (`GoingOn`), for the caller to show."""
    fatal = [p for p in found if not isinstance(p, GoingOn)]
    if len(fatal) == 1:
        raise fatal[0]
    if fatal:
        raise ConfigProblems(fatal)
    return [f"warning: {p}" for p in found]
