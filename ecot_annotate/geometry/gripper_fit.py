"""Fit a map from the end-effector's xyz to the gripper's pixel position, robust to bad detections.

A detector finds the gripper in some frames and mistakes something else for it in others. Over a
whole episode the camera is fixed, so the true positions obey one projection of the state's xyz:
RANSAC finds the projection that most detections agree with, the rest are rejected, and the fitted
projection gives a pixel position for every step, detected or not.

Hypotheses come from minimal samples of ECoT's affine map (pixels = A xyz + b, 4 points): unlike a
direct linear transform of a 3x4 camera it stays well-conditioned on the nearly planar paths a
pick-and-place draws (reach down, carry across, put down all lie close to one vertical plane).
The default `ransac-projective` then fits the full projective 3x4 camera to the consensus set by
least squares on the pixel error, starting from the affine map, and re-selects the inliers under
it until they settle (the local optimisation of LO-RANSAC). `affine` stops after the affine step.
Pure numpy/scipy: no models, no Beam.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

FIT_METHODS = ("ransac-projective", "affine")
SAMPLE_SIZE = 4  # points that fix one affine hypothesis
MIN_POINTS = {"ransac-projective": 8, "affine": 5}  # agreeing detections an episode needs for a fit
_REFINE_ROUNDS = 4


@dataclass
class GripperFit:
    """The fitted track of one episode, or why there is none."""

    track: np.ndarray | None  # (T, 2) pixels for every step; None when not tracked
    inliers: np.ndarray  # (T,) bool: detections the fit agrees with
    method: str
    reason: str | None = None  # why not tracked, when track is None
    rms_px: float | None = None  # reprojection error over the inliers
    arm: str | None = None  # the arm fitted, named where there are several

    def summary(self) -> str:
        arm = f"{self.arm} arm, " if self.arm else ""
        if self.track is None:
            return f"{arm}{self.method}: not tracked ({self.reason})"
        return f"{arm}{self.method}: {int(self.inliers.sum())} inlier detections of {len(self.inliers)} steps, rms {self.rms_px:.2f} px"


def _homogeneous(points: np.ndarray) -> np.ndarray:
    return np.hstack([points, np.ones((len(points), 1))])


def project(camera: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    """(N, 3) points through a 3x4 camera -> (N, 2) pixels."""
    projected = _homogeneous(xyz) @ camera.T
    depth = projected[:, 2:3]
    depth = np.where(np.abs(depth) < 1e-12, 1e-12, depth)
    return projected[:, :2] / depth


def refine_camera(camera: np.ndarray, xyz: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """The 3x4 camera nearest `camera` that minimises the pixel error over >= 6 points."""
    from scipy.optimize import least_squares

    scale = np.linalg.norm(camera)

    def residuals(params: np.ndarray) -> np.ndarray:
        return (project(params.reshape(3, 4), xyz) - uv).ravel()

    result = least_squares(residuals, camera.ravel() / scale, method="lm")
    refined = result.x.reshape(3, 4)
    return refined if result.cost <= 0.5 * np.sum(residuals(camera.ravel()) ** 2) else camera


def affine_map(xyz: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Least-squares uv = A xyz + b, returned as a 3x4 camera with last row [0, 0, 0, 1]."""
    solution, *_ = np.linalg.lstsq(_homogeneous(xyz), uv, rcond=None)
    return np.vstack([solution.T, [0.0, 0.0, 0.0, 1.0]])


def ransac(
    xyz: np.ndarray,
    uv: np.ndarray,
    fit: Callable[[np.ndarray, np.ndarray], np.ndarray],
    sample_size: int,
    threshold_px: float,
    rng: np.random.Generator,
    confidence: float = 0.999,
    max_iterations: int = 2000,
) -> tuple[np.ndarray, np.ndarray]:
    """(model, inlier mask): the model most points agree with within threshold_px (adaptive count)."""
    n = len(xyz)
    best_inliers = np.zeros(n, dtype=bool)
    best_error = np.inf
    needed, iteration = max_iterations, 0
    while iteration < min(needed, max_iterations):
        iteration += 1
        sample = rng.choice(n, size=sample_size, replace=False)
        try:
            model = fit(xyz[sample], uv[sample])
        except np.linalg.LinAlgError:
            continue
        errors = np.linalg.norm(project(model, xyz) - uv, axis=1)
        inliers = errors < threshold_px
        error = float(np.minimum(errors, threshold_px).sum())  # MSAC: ties broken by closeness
        if inliers.sum() > best_inliers.sum() or (
            inliers.sum() == best_inliers.sum() and error < best_error
        ):
            best_inliers, best_error = inliers, error
            ratio = inliers.mean()
            if ratio >= 1.0:
                break
            miss = 1.0 - ratio**sample_size
            needed = (
                int(np.ceil(np.log(1 - confidence) / np.log(miss)))
                if 0 < miss < 1
                else max_iterations
            )
    if best_inliers.sum() < sample_size:
        return fit(xyz, uv), best_inliers
    return fit(xyz[best_inliers], uv[best_inliers]), best_inliers


def default_threshold(image_size: tuple[int, int]) -> float:
    """Inlier distance in pixels: 2% of the image's larger side, at least 3 px."""
    return max(3.0, 0.02 * max(image_size))


def fit_gripper_track(
    xyz: np.ndarray,
    detections: np.ndarray,
    image_size: tuple[int, int],
    method: str = "ransac-projective",
    threshold_px: float | None = None,
    seed: int = 0,
) -> GripperFit:
    """Fit xyz (T, 3) -> pixels on the detected steps (rows of `detections` that are not NaN)."""
    if method not in FIT_METHODS:
        raise ValueError(f"unknown gripper fit '{method}' (choose from {', '.join(FIT_METHODS)})")
    xyz = np.asarray(xyz, dtype=np.float64)
    detections = np.asarray(detections, dtype=np.float64)
    if xyz.ndim != 2 or xyz.shape[1] != 3 or detections.shape != (len(xyz), 2):
        raise ValueError(
            f"need xyz (T, 3) and detections (T, 2); got {xyz.shape} and {detections.shape}"
        )
    found = np.isfinite(detections).all(axis=1)
    inliers = np.zeros(len(xyz), dtype=bool)
    if len(xyz) and not np.ptp(xyz, axis=0).any():  # a pose that never changes fits no camera
        return GripperFit(None, inliers, method, "no end-effector position: it never changes")
    needed = MIN_POINTS[method]
    if found.sum() < needed:
        return GripperFit(
            None,
            inliers,
            method,
            f"gripper found in {int(found.sum())} of {len(xyz)} frames; the {method} fit needs at least {needed}",
        )
    threshold = threshold_px if threshold_px is not None else default_threshold(image_size)
    points, pixels = xyz[found], detections[found]
    camera, agree = ransac(
        points, pixels, affine_map, SAMPLE_SIZE, threshold, np.random.default_rng(seed)
    )
    for _ in range(
        _REFINE_ROUNDS if method == "ransac-projective" and agree.sum() >= needed else 0
    ):
        camera = refine_camera(camera, points[agree], pixels[agree])
        settled = np.linalg.norm(project(camera, points) - pixels, axis=1) < threshold
        if (settled == agree).all() or settled.sum() < needed:
            break
        agree = settled
    if agree.sum() < needed:
        return GripperFit(
            None,
            inliers,
            method,
            f"only {int(agree.sum())} of {int(found.sum())} gripper detections agree with one camera (need {needed})",
        )
    inliers[np.flatnonzero(found)[agree]] = True
    rms = float(
        np.sqrt(np.mean(np.sum((project(camera, points[agree]) - pixels[agree]) ** 2, axis=1)))
    )
    return GripperFit(project(camera, xyz), inliers, method, None, rms)
