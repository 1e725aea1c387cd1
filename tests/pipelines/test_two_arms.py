"""Two arms through the real pipeline, with and without a kinematic model: every output names what
every arm did, so no step says `stop` while an arm moves, and `stats` counts each arm."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import name_arms
from ecot_annotate.geometry.motion import STOP
from ecot_annotate.inspect.quality import primitive_kind, quality_rows, run_stats
from ecot_annotate.sample.joint_space import write_joint_sample
from pipelines.run import run

pytest.importorskip("av")
BI_SO101 = Path(__file__).parents[1] / "fixtures" / "lerobot" / "bi_so101"
FORMATS = ("parquet", "ecot-json", "lerobot")


def _annotate(root: Path, out: Path) -> dict:
    return run(AnnotateConfig(input=str(root), out=str(out), source="lerobot", formats=FORMATS))


def _no_model(tmp_path: Path) -> Path:
    """The two-arm SO-101 fixture under joint names and a robot_type no model knows: each arm is
    read in the unknown-arm mode, from the path."""
    root = tmp_path / "bi_unknown"
    shutil.copytree(BI_SO101, root)
    info_path = root / "meta" / "info.json"
    info = json.loads(info_path.read_text())
    info["robot_type"] = "my_bimanual"
    joints = ("j1", "j2", "j3", "j4", "j5", "gripper")
    for key in ("observation.state", "action"):
        info["features"][key]["names"] = [
            f"{side}_{j}" for side in ("left", "right") for j in joints
        ]
    info_path.write_text(json.dumps(info))
    return root


def _entries(out: Path) -> list[dict]:
    merged = json.loads((out / "ecot" / "reasonings.json").read_text())
    return [entry for episodes in merged.values() for entry in episodes.values()]


def _steps(out: Path) -> list[dict]:
    columns = ["episode_key", "step", "primitive", "arm_primitives", "move", "plan", "subtask"]
    return pq.read_table(out / "parquet", columns=columns).to_pylist()


def _check_every_output_names_every_arm(out: Path) -> list[dict]:
    rows = _steps(out)
    assert rows
    for row in rows:
        per_arm = {a["arm"]: a["primitive"] for a in row["arm_primitives"]}
        assert list(per_arm) == ["left", "right"]
        assert row["primitive"] == row["move"] == name_arms(per_arm)
        moving = any(p != STOP for p in per_arm.values())
        assert row["primitive"] != STOP and (primitive_kind(row["primitive"]) != STOP) == moving
    by_step = {(r["episode_key"], r["step"]): r for r in rows}

    merged = json.loads((out / "ecot" / "reasonings.json").read_text())
    for file_path, episodes in merged.items():
        for entry in episodes.values():
            features, key = entry["features"], file_path
            for t, move in enumerate(features["move_primitive"]):
                assert move == entry["reasoning"][str(t)]["move"] == by_step[(key, t)]["primitive"]
            for index, (name, arm) in enumerate(features["arms"].items()):
                for t, primitive in enumerate(arm["move_primitive"]):
                    assert by_step[(key, t)]["arm_primitives"][index] == {
                        "arm": name,
                        "primitive": primitive,
                    }
            assert features["state_3d"] is None  # each arm's is under `arms`

    episodes = pq.read_table(out / "lerobot" / "meta" / "episodes").to_pylist()
    for meta in episodes:
        data = pq.read_table(
            out / "lerobot" / "data" / "chunk-000" / f"file-{meta['episode_index']:03d}.parquet"
        ).to_pylist()
        for t, frame in enumerate(data):
            motion = [
                row["content"]
                for row in frame["language_persistent"]
                if row["style"] == "motion" and row["timestamp"] <= frame["timestamp"] + 1e-6
            ]
            assert motion[-1] == by_step[(meta["ecot.episode_key"], t)]["primitive"]
    return rows


def _check_stats_count_each_arm(out: Path, rows: list[dict]) -> None:
    stats = run_stats(out)
    by_arm = stats["primitives"]["steps_by_arm"]
    assert set(by_arm) == {"left", "right"}
    for arm in ("left", "right"):
        assert sum(by_arm[arm].values()) == len(rows)
        still = sum(
            a["primitive"] == STOP for r in rows for a in r["arm_primitives"] if a["arm"] == arm
        )
        assert by_arm[arm].get("stop", 0) == still
    all_still = sum(all(a["primitive"] == STOP for a in r["arm_primitives"]) for r in rows)
    assert stats["primitives"]["steps_by_kind"].get("stop", 0) == all_still < len(rows)
    shown = [(section, figure) for section, figure, _ in quality_rows(stats)]
    assert ("primitives", "left arm: stop") in shown or ("primitives", "right arm: stop") in shown
    assert any(figure.startswith("right arm: ") for _, figure in shown)


def test_aloha_with_its_model_names_both_arms_everywhere(tmp_path):
    root, _ = write_joint_sample(tmp_path, "aloha", episodes=2, seed=0)
    summary = _annotate(root, tmp_path / "out")
    assert summary["episodes_out"] == 2 and summary["episodes_unknown_arm"] == 0
    rows = _check_every_output_names_every_arm(tmp_path / "out")
    # the left arm rests while the right arm works: those steps once said `stop`
    assert any(
        r["arm_primitives"][0]["primitive"] == STOP and r["arm_primitives"][1]["primitive"] != STOP
        for r in rows
    )
    _check_stats_count_each_arm(tmp_path / "out", rows)
    for entry in _entries(tmp_path / "out"):
        for arm in entry["features"]["arms"].values():
            assert len(arm["state_3d"][0]) == 3
            assert arm["motion_source"].startswith("forward kinematics")


def test_two_arms_no_model_knows_name_both_arms_everywhere(tmp_path):
    summary = _annotate(_no_model(tmp_path), tmp_path / "out")
    assert summary["episodes_out"] == 2 and summary["episodes_unknown_arm"] == 2
    rows = _check_every_output_names_every_arm(tmp_path / "out")
    assert {a["primitive"] for r in rows for a in r["arm_primitives"]} >= {"move", STOP}
    _check_stats_count_each_arm(tmp_path / "out", rows)
    for entry in _entries(tmp_path / "out"):
        for arm in entry["features"]["arms"].values():
            assert arm["state_3d"] is None  # no position is known: none is made up
            assert arm["motion_source"] == "joint speed (no kinematic model)"
