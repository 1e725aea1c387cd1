"""A run's profile is resolved once and recorded in run.json: export and score work from the
recorded profile, whether it was built in, a file, or inferred, and whatever became of the file.

Before, export resolved the profile again from the reference the run recorded, and failed on
every inferred profile (`profile 'inferred:…' is neither a file nor a built-in profile`) and on a
deleted profile file, and wrote other content under the old config hash after the file was edited.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ecot_annotate.cli import main
from ecot_annotate.config import AnnotateConfig
from ecot_annotate.layouts.lerobot import validate
from ecot_annotate.profiles import load_profile
from ecot_annotate.profiles.toml_text import profile_toml
from ecot_annotate.store.run_config import recorded_config
from pipelines.run import run
from tests.support.oxe_layouts import write_layout

HYDRA = "stanford_hydra_dataset_converted_externally_to_rlds"


def _export(out: Path, to: str, path: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(out), "--to", to, str(path)])
    assert result.exit_code == 0, result.output
    assert f"exported 2 episodes (24 steps) as {to} -> {path}" in result.output


def _instructions(ecot_json: Path) -> set[str]:
    entries = [e for eps in json.loads(ecot_json.read_text()).values() for e in eps.values()]
    return {e["metadata"]["language_instruction"] for e in entries}


@pytest.fixture(scope="module")
def inferred_run(tmp_path_factory) -> Path:
    """A dataset no built-in profile matches, annotated with the profile inferred from it."""
    tmp = tmp_path_factory.mktemp("inferred")
    root = write_layout(HYDRA, tmp / "in", dataset_name="my_robot_data")
    out = tmp / "run"
    summary = run(AnnotateConfig(input=str(root), out=str(out), formats=("parquet",)))
    assert summary["episodes_out"] == 2
    return out


def test_run_json_holds_the_resolved_profile_itself(inferred_run):
    recorded = recorded_config(str(inferred_run))
    assert recorded.profile.startswith("inferred:")
    assert recorded.dataset_profile is not None
    assert recorded.dataset_profile.name == "my_robot_data"
    assert recorded.dataset_profile.rotation_indices == (7, 8, 9)


@pytest.mark.parametrize("to", ["parquet", "rlds", "lerobot", "ecot-json"])
def test_an_inferred_profile_run_exports_to_every_format(inferred_run, tmp_path, to):
    path = tmp_path / ("out.json" if to == "ecot-json" else "out")
    _export(inferred_run, to, path)
    if to == "parquet":
        assert pq.read_table(path).num_rows == 24
    elif to == "lerobot":
        assert validate(path)["total_frames"] == 24
    elif to == "ecot-json":
        assert len(_instructions(path)) == 2


def test_a_profile_file_deleted_or_edited_after_the_run_changes_nothing_in_export(tmp_path):
    root = write_layout(HYDRA, tmp_path / "in")
    profile_file = tmp_path / "hydra.toml"
    profile_file.write_text(profile_toml(load_profile(HYDRA)))
    out = tmp_path / "run"
    run(
        AnnotateConfig(
            input=str(root), out=str(out), profile=str(profile_file), formats=("ecot-json",)
        )
    )
    made = _instructions(out / "ecot" / "reasonings.json")
    assert "" not in made

    profile_file.write_text(profile_toml(load_profile(HYDRA)).replace("language_instruction", ""))
    edited = tmp_path / "edited.json"
    _export(out, "ecot-json", edited)
    assert _instructions(edited) == made

    profile_file.unlink()
    deleted = tmp_path / "deleted.json"
    _export(out, "ecot-json", deleted)
    assert _instructions(deleted) == made


def test_annotating_again_with_an_edited_profile_file_is_another_config(tmp_path):
    root = write_layout(HYDRA, tmp_path / "in")
    profile_file = tmp_path / "hydra.toml"
    profile_file.write_text(profile_toml(load_profile(HYDRA)))
    out = tmp_path / "run"
    config = AnnotateConfig(input=str(root), out=str(out), profile=str(profile_file))
    first = run(config)["config_hash"]
    profile_file.write_text(
        profile_toml(load_profile(HYDRA)).replace("gripper_index = 24", "gripper_index = 25")
    )
    with pytest.raises(Exception, match="holds a run made with other settings: profile"):
        run(config)
    assert run(AnnotateConfig(**{**config.__dict__, "overwrite": True}))["config_hash"] != first
