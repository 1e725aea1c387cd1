"""A run, planned once before any work: `prepare(config) -> RunPlan`.

`prepare` opens the dataset (with the source its layout names, for `--source auto`), resolves the
profile (camera, arms, units), checks the settings against the dataset, calibrates the motion
thresholds from the first episodes' state and action (no frame is read for it), and lists the steps
in order with what each reads. The frames the source decodes follow from that list and the outputs:
only those some step looks at, or an output stores (where the source keeps video, an output that
stores frames may keep references into it, and nothing is decoded for it). `annotate`, `--dry-run`,
`export` and the run's summary read this one value; no part of it is derived again further down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from ecot_annotate.config import NO_BACKEND, AnnotateConfig
from ecot_annotate.content import content_hash
from ecot_annotate.episode import Episode
from ecot_annotate.frames import NOTHING, FrameRequest
from ecot_annotate.geometry.motion_auto import MotionCalibration
from ecot_annotate.profiles.choice import Origin, ProfileChoice
from ecot_annotate.reasoners import REASONERS
from ecot_annotate.sources import SOURCES
from ecot_annotate.sources.base import Source
from ecot_annotate.sources.detect import resolve_source
from ecot_annotate.sources.fingerprint import dataset_fingerprint
from ecot_annotate.sources.first_episodes import first_episodes
from ecot_annotate.stages import Step, Work, steps
from ecot_annotate.stages.gripper_direction import resolve_gripper_direction
from ecot_annotate.stages.motion_thresholds import CALIBRATION_EPISODES, resolve_motion


class Output(Protocol):
    """What the plan asks of an output format (pipelines/formats registers them)."""

    copies_records: bool  # needs a source whose records it can copy

    def frames(self, config: AnnotateConfig) -> FrameRequest:
        """The frames it reads of each episode."""
        ...


@dataclass(frozen=True)
class RunPlan:
    """Everything a run decided before any work, as data."""

    config: AnnotateConfig  # resolved: profile, motion thresholds, the input's fingerprint
    dataset: Source
    profile_how: ProfileChoice  # how the profile was chosen, with each decision taken for the user
    calibration: MotionCalibration | None  # where the thresholds came from; None when fixed
    steps: tuple[Step, ...]  # in run order
    frames: FrameRequest  # what the source reads of each episode's frames
    skipped: str | None = None  # steps a dataset without a camera cannot run, in one line
    warnings: tuple[str, ...] = ()  # problems the run goes on with
    sample: tuple[Episode, ...] = ()  # the first episodes, read without frames to calibrate motion

    @property
    def uses_llm(self) -> bool:
        return REASONERS.get(self.config.reasoner).uses_llm

    @property
    def content_hash(self) -> str:
        return content_hash(self.config)

    def groups(self) -> list[tuple[Work, tuple[Step, ...]]]:
        """The steps as the graph runs them: consecutive per-episode steps together (one pass
        over each episode), each batched step alone."""
        found: list[tuple[Work, tuple[Step, ...]]] = []
        for step in self.steps:
            if step.work is Work.EPISODE and found and found[-1][0] is Work.EPISODE:
                found[-1] = (Work.EPISODE, (*found[-1][1], step))
            else:
                found.append((step.work, (step,)))
        return found

    def motion(self) -> dict[str, Any]:
        """The motion thresholds the run uses, and the calibration behind them (summary.json)."""
        return {
            "thresholds": self.config.motion_thresholds,
            **asdict(self.config.motion),
            "calibration": self.calibration.as_dict() if self.calibration else None,
        }

    def with_outputs(self, config: AnnotateConfig, outputs: Mapping[str, Output]) -> RunPlan:
        """The plan for `config`, the same run writing other formats or more episodes (a rerun
        extending an earlier one): only what is read of the frames follows."""
        return replace(self, config=config, frames=_frames(config, self.steps, outputs))


def without_frames(config: AnnotateConfig) -> tuple[AnnotateConfig, str | None]:
    """With no camera the detector and captioner have nothing to look at: the config without
    them, and one line saying they are skipped (None when none was asked for)."""
    p = config.perception
    asked = [name for name, used in (("detector", p.detects), ("captioner", p.captions)) if used]
    if not asked:
        return config, None
    frameless = replace(p, detector=NO_BACKEND, captioner=NO_BACKEND)
    return replace(config, perception=frameless), (
        f"no camera: the {' and '.join(asked)} are skipped (they need frames)"
        if len(asked) > 1
        else f"no camera: the {asked[0]} is skipped (it needs frames)"
    )


def _frames(
    config: AnnotateConfig, planned: tuple[Step, ...], outputs: Mapping[str, Output]
) -> FrameRequest:
    """The frames some step looks at or some output of this run reads; none without a camera."""
    if config.dataset_profile.image_key is None:
        return NOTHING
    request = NOTHING
    for step in planned:
        request = request | FrameRequest(pixels=step.frames)
    for name in config.formats:
        if name in outputs:
            request = request | outputs[name].frames(config)
    return request


def _no_camera(
    planned: tuple[Step, ...], skipped: str | None
) -> tuple[tuple[Step, ...], str | None]:
    """Without a camera, steps that look at frames cannot run: left out, and said."""
    dropped = [s.name for s in planned if s.frames]
    if not dropped:
        return planned, skipped
    line = f"no camera: the {', '.join(dropped)} step(s) are skipped (they need frames)"
    return tuple(s for s in planned if not s.frames), "; ".join(filter(None, (skipped, line)))


def prepare(config: AnnotateConfig, outputs: Mapping[str, Output] | None = None) -> RunPlan:
    """The plan of `config`, or the one-line error of everything wrong with it (all at once).

    `outputs`: every known output format by name, so the formats this run writes are checked
    and their frames read; None for a dry run, which writes nothing and checks the settings and
    the dataset only (no model or server is asked).
    """
    from ecot_annotate.run_profile import with_profile
    from ecot_annotate.validate import check_settings, problems, raise_problems

    if outputs is None:
        raise_problems(list(check_settings(config)))
    config = replace(config, source=resolve_source(config.input, config.source))
    dataset = SOURCES.get(config.source).open(config.input, config.split)
    config, how = with_profile(config, dataset)
    config = replace(config, input_fingerprint=dataset_fingerprint(config.input))
    skipped = None
    if config.dataset_profile.image_key is None:
        config, skipped = without_frames(config)
    if outputs is None:
        dataset.check(config.dataset_profile)
        warnings: list[str] = []
    else:
        copies = {name: output.copies_records for name, output in outputs.items()}
        warnings = raise_problems(problems(config, dataset, copies))
    sample = ()
    if config.motion_thresholds == "auto" or how.origin is Origin.INFERRED:
        sample = tuple(first_episodes(dataset, config.dataset_profile, CALIBRATION_EPISODES))
    config, calibration = resolve_motion(config, dataset, list(sample))
    config, how = resolve_gripper_direction(config, how, list(sample))
    planned = steps(config)
    if config.dataset_profile.image_key is None:
        planned, skipped = _no_camera(planned, skipped)
    return RunPlan(
        config=config,
        dataset=dataset,
        profile_how=how,
        calibration=calibration,
        steps=planned,
        frames=_frames(config, planned, outputs or {}),
        skipped=skipped,
        warnings=tuple(warnings),
        sample=sample,
    )
