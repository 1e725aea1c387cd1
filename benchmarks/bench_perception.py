"""Perception: gripper-fit error against ground truth, and detector frames/s batched vs one at a time.

The fit figure feeds the fitter the generated sample's true gripper pixels with Gaussian noise
(sigma 2 px) and 30% gross outliers. The detector figure runs one randomly initialised Grounding
DINO over the same frames twice, the way the original scripts did (one frame per call) and the
way the pipeline does (`--batch-size` frames per call), and prints the ratio. On CPU the model is
a reduced Swin/Grounding DINO; ECOT_BENCH_FULL=1 builds the full-size Grounding DINO-T config
(for a GPU, with ECOT_BENCH_DEVICE=cuda).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.rates import record
from benchmarks.results import Row

FRAMES = 16  # the one-at-a-time pass on 2 CPU cores bounds the run time
BATCH = 8


def fit_errors(episodes: list) -> Row:
    from ecot_annotate.geometry.gripper_fit import FIT_METHODS, fit_gripper_track

    medians: dict[str, tuple[float, float]] = {}
    for method in FIT_METHODS:
        rng = np.random.default_rng(0)
        errors, start = [], time.perf_counter()
        for ep in episodes:
            truth = ep.ground_truth["gripper_pixel"].astype(np.float64)
            noisy = truth + rng.normal(0, 2.0, truth.shape)
            outliers = rng.random(len(truth)) < 0.3
            noisy[outliers] = rng.uniform(0, ep.image_size[0], (int(outliers.sum()), 2))
            fit = fit_gripper_track(ep.arms[0].xyz, noisy, ep.image_size, method)
            errors.append(
                np.linalg.norm(fit.track - truth, axis=1)
                if fit.track is not None
                else np.full(len(truth), np.inf)
            )
        err = np.concatenate(errors)
        ms = 1000 * (time.perf_counter() - start) / len(episodes)
        medians[method] = (float(np.median(err)), float(np.percentile(err, 90)))
        print(f"   gripper fit {method}: {ms:.0f} ms/episode")
    (base, base_p90), (ours, ours_p90) = medians["affine"], medians["ransac-projective"]
    return Row(
        f"gripper fit on ground truth, {len(episodes)} episodes (sigma 2 px noise, 30% outliers)",
        f"`affine` (ECoT's): median {base:.2f} px, p90 {base_p90:.1f} px",
        f"`ransac-projective`: median {ours:.2f} px, p90 {ours_p90:.1f} px",
        f"{base / ours:.1f}x lower median error",
    )


def build_detector_folder(folder: Path, full: bool) -> Path:
    """Grounding DINO with random weights: reduced (256 px, 2 layers) or Grounding DINO-T's own size."""
    from tests.support.tiny_models import grounding_dino

    return grounding_dino(folder, size=256, width=128, layers=2, full=full)


def detector_speed(root: Path, episodes) -> Row:
    import torch

    from ecot_annotate.backends.detectors import build_detector
    from ecot_annotate.backends.device import resolve_device
    from ecot_annotate.episode import decode_image
    from ecot_annotate.text.vocabulary import object_vocabulary

    full = os.environ.get("ECOT_BENCH_FULL") == "1"
    device = resolve_device(os.environ.get("ECOT_BENCH_DEVICE", "auto"))
    detector = build_detector(
        "grounding-dino", str(build_detector_folder(root / "gdino", full)), 0.3, 0.2, device
    )
    frames = [decode_image(data) for ep in episodes for data in ep.images][:FRAMES]
    vocabularies = [
        [*object_vocabulary(ep.instruction), "robot gripper"] for ep in episodes for _ in ep.images
    ][:FRAMES]
    detector.detect(frames[:2], vocabularies[:2])  # warm-up

    def rate(batch: int) -> float:
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for i in range(0, len(frames), batch):
            detector.detect(frames[i : i + batch], vocabularies[i : i + batch])
        if device == "cuda":
            torch.cuda.synchronize()
        return len(frames) / (time.perf_counter() - start)

    single, batched = rate(1), rate(BATCH)
    name = "Grounding DINO-T (full size, random)" if full else "reduced Grounding DINO (random)"
    print(f"   detector: torch threads {torch.get_num_threads()}")
    record(detector_frames_per_s=round(batched, 3), detector_measured=f"{name} on {device}")
    size = f"{frames[0].shape[1]}x{frames[0].shape[0]}"
    return Row(
        f"detector, {name}, {device}, {len(frames)} frames {size}",
        f"one frame per call {single:.1f} frames/s",
        f"batches of {BATCH}: {batched:.1f} frames/s",
        f"{batched / single:.2f}x",
    )


def sample_episodes(root: Path) -> list:
    """The generated sample's episodes, whose ground truth holds the true gripper pixels."""
    from ecot_annotate.profiles import load_profile
    from ecot_annotate.sample.generate import write_sample
    from ecot_annotate.sources.rlds import EpisodeDecoder, RldsDataset, read_shard

    dataset = RldsDataset.open(str(write_sample(root / "sample", episodes=8, seed=1)))
    decoder = EpisodeDecoder(dataset, load_profile("ecot_sample"))
    return [
        decoder.decode(data, shard, pos)
        for shard in dataset.shards
        for pos, data, _ in read_shard(shard)
    ]


def main() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        episodes = sample_episodes(Path(tmp))
        return [fit_errors(episodes), detector_speed(Path(tmp), episodes)]
