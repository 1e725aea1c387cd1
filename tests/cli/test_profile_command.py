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


def test_an_undocumented_state_says_what_it_decided_and_what_to_set_instead(tmp_path):
    """Before: `set xyz_indices, rotation, rotation_indices and gripper_index`, exit 1."""
    root = write_layout("berkeley_autolab_ur5", tmp_path, dataset_name="lab_ur5")
    result = CliRunner().invoke(main, ["profile", str(root)])
    assert result.exit_code == 0, result.output
    assert "decided      observation/robot_state: 15 values in no layout" in result.output
    assert "set motion_from, xyz_indices and rotation_indices in a profile" in result.output


def test_fields_left_to_set_are_written_to_finish_and_the_write_succeeds(tmp_path):
    """Before: `profile --write` exited 1 after writing the file it was asked for."""
    root = write_layout("language_table", tmp_path, dataset_name="lab_table")
    written = tmp_path / "lab_table.toml"
    result = CliRunner().invoke(main, ["profile", str(root), "--write", str(written)])
    assert result.exit_code == 0, result.output
    assert f"lab_table: set these in {written}:" in result.output
    assert "set state_keys; candidates:" in result.output
    text = written.read_text()
    assert 'state_keys = "SET ME"' in text and text.endswith("\n")
    assert CliRunner().invoke(main, ["profile", str(root)]).exit_code == 1
