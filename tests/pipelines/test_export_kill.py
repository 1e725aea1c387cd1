"""`export` killed with SIGKILL at any moment leaves PATH absent or complete, never partial, and
the next export to PATH cleans up after it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from tests.pipelines.test_resume import _run_and_kill


def _export(run: Path, fmt: str, path: Path) -> list[str]:
    code = "from ecot_annotate.cli import main; main()"
    return [sys.executable, "-c", code, "export", str(run), "--to", fmt, str(path)]


def _work_folders(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f".{path.name}.export-*"))


def _content(fmt: str, path: Path):
    """What a reader gets from the export at `path`."""
    if fmt == "ecot-json":
        return json.loads(path.read_text())
    table = pads.dataset(str(path), format="parquet").to_table()
    return table.sort_by([("episode_key", "ascending"), ("step", "ascending")]).to_pylist()


def _moments(path: Path) -> dict:
    """When to kill: as the work folder appears, once the annotations are copied there, once the
    product is there (just before the rename), as PATH appears (the clean-up after it)."""

    def inside(name: str):
        return lambda: any((w / name).exists() for w in _work_folders(path))

    return {
        "work folder made": lambda: bool(_work_folders(path)),
        "annotations copied": inside("manifest/episodes"),
        "product written": lambda: inside("ecot/reasonings.json")() or inside("parquet")(),
        "PATH in place": path.exists,
    }


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["ecot-json", "parquet"])
def test_a_killed_export_leaves_path_absent_or_complete(sample_run, tmp_path, fmt):
    reference = tmp_path / "reference"
    subprocess.run(_export(sample_run, fmt, reference), check=True, capture_output=True)
    expected = _content(fmt, reference)
    outcomes = []
    for name, when in _moments(tmp_path / "killed").items():
        path = tmp_path / "killed"
        with contextlib.suppress(AssertionError):  # it may finish first: then it is complete
            _run_and_kill(_export(sample_run, fmt, path), when)
        if path.exists():
            assert _content(fmt, path) == expected, name
        outcomes.append((name, path.exists(), len(_work_folders(path))))
        if path.is_dir():
            os.rename(path, tmp_path / f"done-{len(outcomes)}")
        elif path.exists():
            path.unlink()
    assert any(not present for _, present, _ in outcomes), outcomes  # some kills came before
    assert any(left for *_, left in outcomes), outcomes  # and left a work folder behind

    for seconds in (1.0, 2.5, 4.0):  # and at moments nobody chose
        path = tmp_path / f"timed-{seconds}"
        process = subprocess.Popen(_export(sample_run, fmt, path), start_new_session=True)
        time.sleep(seconds)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert not path.exists() or _content(fmt, path) == expected

    final = tmp_path / "killed"
    subprocess.run(_export(sample_run, fmt, final), check=True, capture_output=True)
    assert _content(fmt, final) == expected
    assert _work_folders(final) == []  # the killed exports' folders are gone
