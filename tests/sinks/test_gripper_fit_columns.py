"""The gripper fit's residual reaches the output: Annotation -> Parquet columns -> `stats`."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ecot_annotate.config import PerceptionConfig
from ecot_annotate.episode import AnnotatedEpisode, Annotation, ArmTrack, Episode, StepReasoning
from ecot_annotate.inspect.quality import run_stats
from ecot_annotate.sample.generate import Camera
from ecot_annotate.sinks.parquet import rows_to_table, step_rows
from ecot_annotate.stages.perception import FrameResult, assemble
from ecot_annotate.store.annotation_io import annotation_from_json, annotation_to_json

STEPS = 12


def _episode(key: str, seed: int) -> Episode:
    rng = np.random.default_rng(seed)
    xyz = np.column_stack(
        [
            rng.uniform(0.2, 0.4, STEPS),
            rng.uniform(-0.15, 0.15, STEPS),
            rng.uniform(0.02, 0.2, STEPS),
        ]
    ).astype(np.float32)
    flags = np.zeros(STEPS, bool)
    return Episode(
        key=key,
        dataset="fit",
        instruction="put the cup in the sink",
        images=[b"\xff\xd8"] * STEPS,
        image_size=(256, 256),
        state=np.zeros((STEPS, 7), np.float32),
        action=np.zeros((STEPS, 7), np.float32),
        arms=(
            ArmTrack(
                "arm",
                xyz,
                np.zeros((STEPS, 3), np.float32),
                np.ones(STEPS, np.float32),
                None,
                "state",
            ),
        ),
        is_first=flags,
        is_last=flags,
        is_terminal=flags,
    )


def _perceived(episode: Episode, noise_px: float, seen: int) -> AnnotatedEpisode:
    """Gripper points on the first `seen` steps: the true projection plus Gaussian noise."""
    camera = Camera.look_at(np.array([0.75, 0.0, 0.45]), np.array([0.3, 0.0, 0.02]))
    truth = camera.project(episode.arms[0].xyz.astype(np.float64))
    points = truth + np.random.default_rng(1).normal(0.0, noise_px, truth.shape)
    results = [
        FrameResult(t, [], None, tuple(points[t]) if t < seen else None) for t in range(STEPS)
    ]
    annotation = assemble(
        episode, results, PerceptionConfig(detector="grounding-dino"), Annotation()
    )
    annotation.arm_primitives = {"arm": ["stop"] * STEPS}
    annotation.reasoning = [StepReasoning("t", "p", "wait", "r", "stop", "m")] * STEPS
    annotation.provenance.update(reasoning_source="rules", reasoning_model="rules")
    return AnnotatedEpisode(episode, annotation)


def test_fit_residual_and_inliers_are_columns_that_stats_reads(tmp_path):
    clean, noisy, unseen = (
        _perceived(_episode("a", 0), 0.0, STEPS),
        _perceived(_episode("b", 1), 1.5, STEPS),
        _perceived(_episode("c", 2), 0.0, 3),
    )
    assert clean.annotation.gripper_fit_rms_px < 0.01
    assert clean.annotation.gripper_fit_inliers == STEPS
    assert 0.5 < noisy.annotation.gripper_fit_rms_px < 3.0
    assert unseen.annotation.gripper is None and unseen.annotation.gripper_fit_rms_px is None
    assert unseen.annotation.gripper_fit_inliers is None and unseen.annotation.gripper_reason

    table = pa.concat_tables(rows_to_table(step_rows(a)) for a in (clean, noisy, unseen))
    assert table.schema.field("gripper_fit_rms_px").type == pa.float32()
    assert table.schema.field("gripper_fit_inliers").type == pa.int32()
    rows = table.to_pylist()
    for row in rows:
        tracked = row["gripper_position"] is not None
        assert (row["gripper_fit_rms_px"] is not None) == tracked
        assert (row["gripper_fit_inliers"] is not None) == tracked
    (tmp_path / "parquet").mkdir()
    pq.write_table(table, tmp_path / "parquet" / "steps-00000-of-00001.parquet")

    figures = run_stats(tmp_path)["gripper"]
    assert figures["residual_column"] == "gripper_fit_rms_px"
    expected = np.float32(noisy.annotation.gripper_fit_rms_px)
    assert figures["residual_px"]["n"] == 2  # one figure per fitted episode, not per step
    assert figures["residual_px"]["max"] == round(float(expected), 3)
    assert figures["tracked_episodes"] == 2 and figures["untracked_episodes"] == 1


def test_fit_figures_survive_the_committed_annotation_round_trip():
    annotated = _perceived(_episode("a", 0), 1.0, STEPS)
    _, again = annotation_from_json(annotation_to_json("a", annotated.annotation))
    assert again.gripper_fit_rms_px == annotated.annotation.gripper_fit_rms_px
    assert again.gripper_fit_inliers == annotated.annotation.gripper_fit_inliers
