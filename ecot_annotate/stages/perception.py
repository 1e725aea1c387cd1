"""Step `detect`: object boxes per frame and a gripper track per episode, batched across episodes.

Three pieces, so that a Beam pipeline can batch the middle one across episodes (`DetectStage`,
a batched step): `episode_frames` decodes an episode's frames once, one at a time as they are
consumed (so a long episode never has all its pixels in memory), and pairs each with the
episode's vocabulary; `FramePerceiver` runs the detector (and SAM on the gripper box) over a batch
of frames from any episodes; `assemble` puts one episode's frame results back in order and fits
the gripper track.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from ecot_annotate.backends.batch_retry import run_in_halves
from ecot_annotate.config import AnnotateConfig, PerceptionConfig
from ecot_annotate.counting import TIMING, Count, no_count
from ecot_annotate.episode import Annotation, Box, Episode, decode_image, several_arms
from ecot_annotate.errors import EpisodeError
from ecot_annotate.geometry.gripper_fit import GripperFit, fit_gripper_track
from ecot_annotate.stages.base import Step, Work, register_step
from ecot_annotate.text.vocabulary import object_vocabulary


@dataclass
class FrameTask:
    """One decoded frame to perceive, with the object phrases of its episode."""

    step: int
    image: np.ndarray  # (H, W, 3) uint8
    vocabulary: tuple[str, ...]


@dataclass
class FrameResult:
    step: int
    boxes: list[Box]  # objects, best first; the gripper's box is not among them
    gripper_box: Box | None
    gripper_point: tuple[float, float] | None  # pixels; None when no gripper was found


def detector_model(config: PerceptionConfig) -> str:
    from ecot_annotate.backends.detectors import detector_class

    return config.detector_model or detector_class(config.detector).default_model


def segmenter_model(config: PerceptionConfig) -> str:
    from ecot_annotate.backends.segmenter import SEGMENTERS

    return config.segmenter_model or SEGMENTERS.get(config.segmenter).default_model


def episode_frames(
    episode: Episode, config: PerceptionConfig, caption: str | None = None, count: Count = no_count
) -> Iterator[FrameTask]:
    """Every frame the detector looks at (`detected_frames`) decoded once, in order, checked
    against the episode's camera size; EpisodeError (when the consumer reaches it) at the first frame that is unusable, or
    before any without a vocabulary. Time spent decoding stored bytes is counted as `us_decode`
    (a video's frames arrive decoded, and count their own)."""
    vocabulary = tuple(
        object_vocabulary(episode.instruction, caption, exclude=config.gripper_prompt)
    )
    if not vocabulary:
        said = f"instruction {episode.instruction!r}" + (
            f" and caption {caption!r}" if caption else ""
        )
        raise EpisodeError("vocabulary", f"the {said} name no object to prompt the detector with")
    width, height = episode.image_size
    looked_at = config.detected_frames
    for step, data in enumerate(episode.images):
        if data is None or not looked_at.selects(step):
            continue
        start = time.perf_counter()
        try:
            image = decode_image(data)
        except Exception as exc:  # noqa: BLE001 - any undecodable frame is this episode's fault
            raise EpisodeError(
                "frames", f"frame {step} cannot be decoded: {type(exc).__name__}: {exc}"
            ) from exc
        if isinstance(data, bytes):
            count(f"{TIMING}decode", int(1e6 * (time.perf_counter() - start)))
        if image.shape[:2] != (height, width):
            raise EpisodeError(
                "frames",
                f"frame {step} is {image.shape[1]}x{image.shape[0]}, the episode's camera is {width}x{height}",
            )
        yield FrameTask(step, image, vocabulary)


class FramePerceiver:
    """Detector, and SAM when configured, loaded once; called on batches of frames from any episodes."""

    def __init__(self, config: PerceptionConfig):
        from ecot_annotate.backends.detectors import build_detector
        from ecot_annotate.backends.device import resolve_device
        from ecot_annotate.backends.segmenter import build_segmenter

        device = resolve_device(config.device)
        self.prompt = config.gripper_prompt
        self.detector = build_detector(
            config.detector,
            config.detector_model,
            config.box_threshold,
            config.text_threshold,
            device,
        )
        self.segmenter = (
            build_segmenter(config.segmenter, config.segmenter_model, device)
            if config.segments
            else None
        )

    def __call__(self, frames: list[FrameTask]) -> list[FrameResult]:
        from ecot_annotate.backends.segmenter import mask_point

        # The gripper's prompt first, so that a vocabulary cut at the model's text length keeps it.
        found = self.detector.detect(
            [f.image for f in frames], [[self.prompt, *f.vocabulary] for f in frames]
        )
        results = []
        for frame, boxes in zip(frames, found, strict=True):
            gripper = [b for b in boxes if b.label == self.prompt]
            objects = [b for b in boxes if b.label != self.prompt]
            best = gripper[0] if gripper else None
            centre = (
                None
                if best is None
                else ((best.box[0] + best.box[2]) / 2, (best.box[1] + best.box[3]) / 2)
            )
            results.append(FrameResult(frame.step, objects, best, centre))
        with_gripper = [i for i, r in enumerate(results) if r.gripper_box is not None]
        if self.segmenter is not None and with_gripper:
            masks = self.segmenter.masks(
                [frames[i].image for i in with_gripper],
                [results[i].gripper_box.box for i in with_gripper],
            )
            for i, mask in zip(with_gripper, masks, strict=True):
                results[i].gripper_point = mask_point(mask, results[i].gripper_box.box)
        return results


def provenance(config: PerceptionConfig) -> dict[str, str]:
    """Which backend and model produced the perception fields."""
    out = {"detector": f"{config.detector}:{detector_model(config)}"}
    if config.detect_every > 1:
        out["detected_every"] = f"{config.detect_every} frames"
    if config.segments:
        out["segmenter"] = f"{config.segmenter}:{segmenter_model(config)}"
    return out


NO_POSE = "no end-effector position: no arm has a kinematic model"


def arm_fit(episode: Episode, points: np.ndarray, config: PerceptionConfig) -> GripperFit:
    """The gripper track of the arm whose end-effector positions explain the detected gripper
    points best (most inlier detections, then the smaller error); with several arms its summary
    names the arm."""
    fits = {
        arm.name: fit_gripper_track(arm.xyz, points, episode.image_size, config.gripper_fit)
        for arm in episode.arms
        if arm.has_pose
    }
    if not fits:
        return GripperFit(None, np.zeros(len(points), bool), config.gripper_fit, NO_POSE)
    arm, fit = max(
        fits.items(),
        key=lambda item: (item[1].track is not None, item[1].inliers.sum(), -(item[1].rms_px or 0)),
    )
    return replace(fit, arm=arm) if several_arms(episode.arms) else fit


def assemble(
    episode: Episode,
    results: list[FrameResult],
    config: PerceptionConfig,
    annotation: Annotation,
) -> Annotation:
    """`annotation` with boxes for every step and a fitted gripper track (or the reason why not).
    A step the detector did not look at keeps the boxes of the detected step before it and has
    no gripper point."""
    by_step = {r.step: r for r in results}
    detected = config.detected_frames.steps(episode.n_steps)
    missing = [t for t in detected if t not in by_step]
    if missing:
        raise EpisodeError(
            "detect",
            f"no detector result for {len(missing)} of {len(detected)} detected steps "
            f"(first: {missing[0]})",
        )
    held = [by_step[t - t % config.detect_every] for t in range(episode.n_steps)]
    points = np.array(
        [
            r.gripper_point if r.step == t and r.gripper_point is not None else (np.nan, np.nan)
            for t, r in enumerate(held)
        ],
        dtype=np.float64,
    )
    fit = arm_fit(episode, points, config)
    annotation.bboxes = [list(r.boxes) for r in held]
    annotation.gripper = fit.track
    annotation.gripper_reason = fit.reason
    annotation.gripper_fit_rms_px = fit.rms_px
    annotation.gripper_fit_inliers = None if fit.track is None else int(fit.inliers.sum())
    annotation.provenance.update(provenance(config))
    annotation.provenance["gripper_fit"] = fit.summary()
    return annotation


class DetectStage:
    """The batched step: frames of many episodes through the detector (and SAM) at once."""

    name = "detect"
    spans_batches = True
    unit = "frame"

    def __init__(self, config: AnnotateConfig, count: Count):
        self.config, self.count = config.perception, count
        self.batch_size = config.perception.batch_size

    def items(self, episode: Episode, annotation: Annotation) -> Iterator[FrameTask]:
        for frame in episode_frames(episode, self.config, annotation.caption, self.count):
            self.count("frames_perceived", 1)
            yield frame

    def label(self, item: FrameTask) -> str:
        return f"step {item.step}"

    def load(self) -> Callable[[list[FrameTask]], list[FrameResult | Exception]]:
        perceiver = FramePerceiver(self.config)
        return lambda frames: run_in_halves(frames, perceiver)

    def assemble(
        self, episode: Episode, annotation: Annotation, results: list[FrameResult]
    ) -> Annotation:
        annotation = assemble(episode, results, self.config, annotation)
        tracked = annotation.gripper is not None
        self.count("episodes_gripper_tracked" if tracked else "episodes_gripper_not_tracked", 1)
        return annotation


@register_step("detect", after=("caption",))
def detect_step(config: AnnotateConfig) -> Step | None:
    if not config.perception.detects:
        return None
    return Step(
        "detect",
        Work.BATCH,
        DetectStage,
        reads=("frames", "instruction", "caption", "state"),
        writes=("bboxes", "gripper", "provenance"),
        frames=config.perception.detected_frames,
    )
