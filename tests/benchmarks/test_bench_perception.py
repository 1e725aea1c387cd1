"""The gripper-fit benchmark reads the episodes the sources decode today (one arm's pose in
`Episode.arms`), so a change of the episode's shape breaks a test, not the next `make bench`."""

from __future__ import annotations

from benchmarks.bench_perception import fit_errors, sample_episodes


def test_the_gripper_fit_row_is_measured_on_the_generated_samples_episodes(tmp_path):
    row = fit_errors(sample_episodes(tmp_path)[:2])
    assert (
        "median" in row.baseline and "median" in row.measured and row.ratio.endswith("median error")
    )
