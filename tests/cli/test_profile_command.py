"""`ecot-annotate profile INPUT [--write FILE.toml]`: see the profile auto picks, or write one to edit."""

from click.testing import CliRunner

from ecot_annotate.cli import main
from ecot_annotate.profiles import load_profile
from tests.support.oxe_layouts import write_layout


def test_a_known_dataset_shows_its_built_in_profile(tmp_path):
    root = write_layout("toto", tmp_path)
    result = CliRunner().invoke(main, ["profile", str(root)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("profile toto (built-in profile for this dataset)")
    assert "from action (action_deltas)" in result.output


def test_write_gives_a_file_that_annotate_reads(tmp_path):
    name = "stanford_hydra_dataset_converted_externally_to_rlds"
    root = write_layout(name, tmp_path, dataset_name="lab_arm")
    written = tmp_path / "lab_arm.toml"
    result = CliRunner().invoke(main, ["profile", str(root), "--write", str(written)])
    assert result.exit_code == 0, result.output
    assert "profile lab_arm (inferred from the dataset)" in result.output
    assert "# Dataset profile for lab_arm." in written.read_text()
    profile = load_profile(str(written))
    assert profile.rotation_indices == (7, 8, 9) and profile.gripper_index == 24


def test_an_undocumented_state_names_what_to_set_and_writes_a_file_to_finish(tmp_path):
    root = write_layout("berkeley_autolab_ur5", tmp_path, dataset_name="lab_ur5")
    written = tmp_path / "lab_ur5.toml"
    result = CliRunner().invoke(main, ["profile", str(root), "--write", str(written)])
    assert result.exit_code == 1
    assert "set xyz_indices, rotation, rotation_indices and gripper_index" in result.output
    assert 'xyz_indices = "SET ME"' in written.read_text()
