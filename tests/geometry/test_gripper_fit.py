"""The gripper fit against the generated sample's ground truth, and its refusals."""

from __future__ import annotations

import numpy as np
import pytest

from ecot_annotate.geometry.gripper_fit import fit_gripper_track
from tests.support.datasets import decode_all


def corrupt(truth: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """Gaussian noise (sigma 2 px) on every point, and 30% of them replaced by gross outliers."""
    noisy = truth + rng.normal(0.0, 2.0, truth.shape)
    outliers = rng.random(len(truth)) < 0.3
    noisy[outliers] = rng.uniform(0, size, (int(outliers.sum()), 2))
    return noisy


@pytest.mark.parametrize("method", ["ransac-projective", "affine"])
def test_fit_recovers_the_true_track_despite_noise_and_outliers(sample_dir, method):
    rng = np.random.default_rng(0)
    errors = []
    for episode in decode_all(sample_dir, "ecot_sample"):
        truth = episode.ground_truth["gripper_pixel"].astype(np.float64)
        fit = fit_gripper_track(
            episode.arms[0].xyz,
            corrupt(truth, rng, episode.image_size[0]),
            episode.image_size,
            method,
        )
        assert fit.track is not None, fit.reason
        errors.append(np.linalg.norm(fit.track - truth, axis=1))
    median = float(np.median(np.concatenate(errors)))
    assert median < 3.0, f"{method}: median error {median:.2f} px"


def test_fit_fills_steps_without_a_detection(sample_dir):
    episode = decode_all(sample_dir, "ecot_sample")[0]
    truth = episode.ground_truth["gripper_pixel"].astype(np.float64)
    seen = truth.copy()
    seen[::3] = np.nan
    fit = fit_gripper_track(episode.arms[0].xyz, seen, episode.image_size)
    assert np.median(np.linalg.norm(fit.track[::3] - truth[::3], axis=1)) < 1.0
    assert not fit.inliers[::3].any()


def test_too_few_detections_leave_the_track_empty_with_a_reason():
    xyz = np.random.default_rng(0).uniform(0, 0.3, (10, 3))
    detections = np.full((10, 2), np.nan)
    detections[:3] = 10.0
    fit = fit_gripper_track(xyz, detections, (64, 64))
    assert fit.track is None and "found in 3 of 10 frames" in fit.reason


def test_detections_that_agree_with_no_camera_are_not_tracked():
    rng = np.random.default_rng(1)
    fit = fit_gripper_track(rng.uniform(0, 0.3, (20, 3)), rng.uniform(0, 256, (20, 2)), (256, 256))
    assert fit.track is None and "agree with one camera" in fit.reason


def test_bad_shapes_and_methods_are_refused():
    with pytest.raises(ValueError, match="xyz"):
        fit_gripper_track(np.zeros((5, 2)), np.zeros((5, 2)), (64, 64))
    with pytest.raises(ValueError, match="unknown gripper fit"):
        fit_gripper_track(np.zeros((5, 3)), np.zeros((5, 2)), (64, 64), method="magic")


def test_no_end_effector_position_is_no_gripper_fit():
    pixels = np.tile([[40.0, 50.0]], (10, 1)) + np.arange(10)[:, None]
    fit = fit_gripper_track(np.zeros((10, 3)), pixels, (128, 128))
    assert fit.track is None and "no end-effector position" in fit.reason
