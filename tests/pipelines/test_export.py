"""`export`: a finished run in another format, from its committed annotations, without annotating again."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ecot_annotate.layouts.lerobot import validate
from ecot_annotate.store.annotation_io import annotation_from_json


def test_export_writes_the_same_annotations_without_annotating(bridge_dir, tmp_path):
    from ecot_annotate.cli import main
    from ecot_annotate.config import AnnotateConfig
    from pipelines.run import run

    out = tmp_path / "run"
    run(AnnotateConfig(input=str(bridge_dir), out=str(out), limit=5, formats=("ecot-json",)))
    removed = sorted((out / "manifest" / "episodes").glob("*.json"))[0]
    key, _ = annotation_from_json(removed.read_text())
    removed.unlink()  # one episode has no committed annotation: export must not annotate it

    ecot = tmp_path / "as.json"
    result = CliRunner().invoke(main, ["export", str(out), "--to", "ecot-json", str(ecot)])
    assert result.exit_code == 0, result.output
    assert f"exported 4 episodes (40 steps) as ecot-json -> {ecot}" in result.output
    assert "1 episode(s) not exported" in result.output
    assert f"  - no committed annotation in the run (1): {key}\n" in result.output
    assert "rejected in review" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "as.json",
        "run",
    ]  # the file, nothing else
    original = json.loads((out / "ecot" / "reasonings.json").read_text())
    exported = json.loads(ecot.read_text())
    flat = {(fp, eid): e for fp, eps in original.items() for eid, e in eps.items()}
    assert len(flat) == 5
    assert sum(len(eps) for eps in exported.values()) == 4
    for fp, eps in exported.items():
        for eid, entry in eps.items():
            assert entry == flat[(fp, eid)]

    lerobot = tmp_path / "as-lerobot"
    result = CliRunner().invoke(main, ["export", str(out), "--to", "lerobot", str(lerobot)])
    assert result.exit_code == 0, result.output
    assert validate(lerobot)["total_episodes"] == 4
    again = CliRunner().invoke(main, ["export", str(out), "--to", "lerobot", str(lerobot)])
    assert again.exit_code == 2 and "already exists; choose a new path" in again.output
