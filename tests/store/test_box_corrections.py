"""Box and track corrections reach every reader of a run."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ecot_annotate.store.corrections import corrections_path, run_config_hash
from ecot_annotate.store.run_output import episode_keys


def test_box_and_track_changes_reach_every_reader(sample_run, tmp_path):
    """A box resized at one step, a track relabelled and another deleted at every step: show, the
    report, the train loader and every export format read them through `Corrections.apply`."""
    import pyarrow.dataset as pads

    from ecot_annotate.cli import main
    from ecot_annotate.inspect.report import build_report
    from ecot_annotate.train.data import Shards
    from tests.support.tracked_boxes import with_tracked_boxes

    run = with_tracked_boxes(sample_run, tmp_path / "run")
    keys, config_hash = episode_keys(run), run_config_hash(run)
    changes = [
        (keys[0], {"box": {"step": 1, "track": 3}, "action": "resize", "xyxy": [10, 12, 60, 70]}),
        (keys[0], {"track": 1, "action": "relabel", "label": "plate"}),
        (keys[1], {"track": 3, "action": "delete"}),
    ]
    path = corrections_path(run)
    path.parent.mkdir()
    path.write_text("".join(json.dumps({"episode": k, "config_hash": config_hash, **c}) + "\n" for k, c in changes))  # fmt: skip
    step_one = "cup [10, 12, 60, 70], plate [130, 120, 220, 200]"

    shown = CliRunner().invoke(main, ["show", str(run), "--episode", keys[0], "--step", "1", "--format", "json"])  # fmt: skip
    assert json.loads(shown.output)["tags"]["VISIBLE OBJECTS:"] == step_one
    other = CliRunner().invoke(main, ["show", str(run), "--episode", keys[1], "--format", "json"])
    assert json.loads(other.output)["tags"]["VISIBLE OBJECTS:"] == "bowl [130, 120, 220, 200]"

    build_report(run, tmp_path / "html")
    pages = [p.read_text() for p in sorted((tmp_path / "html" / "episodes").glob("*.html"))]
    assert '"label": "plate"' in pages[0] and '"label": "bowl"' not in pages[0]
    assert '"label": "cup"' not in pages[1] and '"label": "bowl"' in pages[1]

    chains = {r["step"]: r["chain"] for r in Shards(run).rows([keys[0]])}
    assert f"VISIBLE OBJECTS: {step_one}" in chains[1]
    assert "VISIBLE OBJECTS: cup [20, 40, 120, 140], plate" in chains[0]

    for fmt in ("ecot-json", "parquet", "rlds", "lerobot"):
        target = tmp_path / f"as-{fmt}"
        result = CliRunner().invoke(main, ["export", str(run), "--to", fmt, str(target)])
        assert result.exit_code == 0, result.output
        if fmt == "ecot-json":
            entries = {f"{fp}_{eid}": e for fp, eps in json.loads(target.read_text()).items() for eid, e in eps.items()}  # fmt: skip
            boxes = entries[keys[0]]["features"]["bboxes"]
            assert boxes[1] == [[0.81, "cup", [10, 12, 60, 70]], [0.55, "plate", [130, 120, 220, 200]]]  # fmt: skip
            other_boxes = entries[keys[1]]["features"]["bboxes"]
            assert {b[1] for step in other_boxes for b in step} == {"bowl"}
        elif fmt == "rlds":
            import tensorflow_datasets as tfds

            folder = next(target.glob("*/*"))
            labels = {
                e["ecot_provenance"]["episode_key"].numpy().decode(): [
                    [label.decode() for label in s["ecot"]["box_labels"].numpy()]
                    for s in e["steps"]
                ]
                for e in tfds.builder_from_directory(str(folder)).as_dataset(split="train")
            }
            assert labels[keys[0]][0] == ["cup", "plate"] and labels[keys[1]][0] == ["bowl"]
        else:
            folder = target if fmt == "parquet" else target / "data"
            table = pads.dataset(str(folder), format="parquet").to_table()
            text = json.dumps(table.drop_columns([c for c in table.column_names if "image" in c]).to_pylist(), default=str)  # fmt: skip
            assert "plate" in text and "[10.0, 12.0, 60.0, 70.0]" in text, fmt
