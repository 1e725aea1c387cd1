"""A full disk under OUT: one line naming OUT, no traceback, and the rerun with space finishes the
same outputs as a clean run. The disk is a real 1 MB tmpfs (skipped where mounting is not
allowed)."""

from __future__ import annotations

import subprocess

import pytest
from click.testing import CliRunner

from ecot_annotate.cli import main
from tests.support.digest import run_digests


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)  # Beam may hold a file a while


def test_a_full_disk_is_one_line_and_the_rerun_loses_nothing(sample_dir, tiny_disk, tmp_path):
    args = ["--limit", "2", "--format", "parquet,ecot-json,rlds"]
    out = tiny_disk / "out"
    runner = CliRunner()
    full = runner.invoke(main, ["annotate", str(sample_dir), "--out", str(out), *args])
    assert full.exit_code == 2, full.output
    said = [line for line in full.stderr.splitlines() if not line.startswith("progress: ")]
    assert said == [
        f"error: no space left on the device holding {out}; free some and run the same command "
        "again (the episodes committed so far are kept)"
    ], full.stderr
    subprocess.run(["mount", "-o", "remount,size=64m", str(tiny_disk)], check=True)
    rerun = runner.invoke(main, ["annotate", str(sample_dir), "--out", str(out), *args])
    assert rerun.exit_code == 0, rerun.output
    clean = runner.invoke(main, ["annotate", str(sample_dir), "--out", str(tmp_path / "c"), *args])
    assert clean.exit_code == 0, clean.output
    assert run_digests(out) == run_digests(tmp_path / "c")
