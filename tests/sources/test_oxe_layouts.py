"""Real Open X-Embodiment layouts, read through `--profile auto` and the built-in profiles."""

from dataclasses import replace

import pytest

from ecot_annotate.errors import EpisodeError
from ecot_annotate.geometry.motion import STOP, arm_primitives
from ecot_annotate.profiles import load_profile
from ecot_annotate.profiles.infer import ProfileInferenceError, infer_profile, require
from ecot_annotate.profiles.resolve import profile_summary, resolve_profile
from ecot_annotate.sources.rlds import EpisodeDecoder, RldsDataset, read_shard
from tests.support.oxe_layouts import LAYOUTS, write_layout

DOCUMENTED = {  # layouts whose cards document the state: inference alone finds the profile
    "taco_play",
    "toto",
    "stanford_hydra_dataset_converted_externally_to_rlds",
}


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oxe")
    return {name: write_layout(name, folder) for name in LAYOUTS}


def _decode(root, profile):
    dataset = RldsDataset.open(str(root))
    decoder = EpisodeDecoder(dataset, profile)
    return [decoder.decode(raw, s, pos) for s in dataset.shards for pos, raw, _ in read_shard(s)]


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_auto_reads_every_layout_with_its_built_in_profile(layouts, name):
    layout = RldsDataset.open(str(layouts[name])).layout()
    chosen = resolve_profile("auto", layout)
    profile, how = chosen.profile, chosen.how
    assert chosen.ref == name
    assert profile == load_profile(name) and how.describe() == "built-in profile for this dataset"
    assert profile_summary(profile, how).startswith(f"profile {name} (built-in")
    episodes = _decode(layouts[name], profile)
    assert len(episodes) == 2 and len({e.key for e in episodes}) == 2
    for episode in episodes:
        moves = arm_primitives(episode.arms[0])
        assert episode.n_steps == 12 and episode.instruction
        assert sum(m != STOP for m in moves) >= 8, moves
        assert any("left" in m or "right" in m or "forward" in m for m in moves)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_inference_matches_the_built_in_profile_or_says_what_it_decided(layouts, name):
    """An undocumented state no longer stops the run: the track comes from the action where the
    action documents one, and the profile block says so with what to set to read the state."""
    inference = infer_profile(RldsDataset.open(str(layouts[name])).layout())
    builtin = load_profile(name)
    if name in DOCUMENTED:
        assert replace(require(inference), control_hz=builtin.control_hz) == builtin
        return
    if inference.problems:  # two state candidates, neither named as OXE names a state
        with pytest.raises(ProfileInferenceError, match=r"set state_keys"):
            require(inference)
    else:
        (said,) = [d for d in inference.decisions if "no layout the dataset documents" in d.text]
        assert said.subject in builtin.state_keys and "in a profile" in said.override
    assert inference.profile.image_key == builtin.image_key
    assert inference.profile.instruction_key == builtin.instruction_key


def test_a_joint_only_state_moves_by_its_integrated_actions(layouts):
    episode = _decode(layouts["toto"], load_profile("toto"))[0]
    assert episode.arms[0].source == "integrated action deltas"
    assert "close gripper" in " ".join(arm_primitives(episode.arms[0]))


def test_planar_code_point_instructions_are_read(layouts):
    episode = _decode(layouts["language_table"], load_profile("language_table"))[0]
    assert episode.instruction == "push the red block forward" and not episode.arms[0].gripper.any()


def test_ur5_with_auto_no_longer_gets_bridges_layout(layouts):
    """Before, auto fell back to Bridge: `key 'observation/image_0' ... is not in the dataset`."""
    profile = resolve_profile(
        "auto", RldsDataset.open(str(layouts["berkeley_autolab_ur5"])).layout()
    ).profile
    assert profile.image_key == "observation/image" and profile.rotation == "quaternion"
    assert profile.action_keys == (
        "action/world_vector",
        "action/rotation_delta",
        "action/gripper_closedness_action",
    )


def test_an_empty_camera_frame_names_its_step_key_and_size(tmp_path):
    """Before: `cannot identify image file <_io.BytesIO object at 0x7f...>`."""

    def empty(examples):
        examples[1]["steps"][3]["observation"]["image"] = b""

    root = write_layout("berkeley_autolab_ur5", tmp_path, edit=empty)
    dataset = RldsDataset.open(str(root))
    decoder = EpisodeDecoder(dataset, load_profile("berkeley_autolab_ur5"))
    (_, first, _), (_, second, _) = read_shard(dataset.shards[0])
    assert decoder.decode(first, dataset.shards[0], 0).n_steps == 12
    with pytest.raises(
        EpisodeError, match=r"^decode: step 3: observation/image is empty \(0 bytes\)$"
    ):
        decoder.decode(second, dataset.shards[0], 1)


def test_text_that_is_not_utf8_is_decoded_and_keys_stay_apart(tmp_path):
    """Before, a non-UTF-8 instruction or file_path stopped the whole run (UnicodeDecodeError)."""

    def bad_bytes(examples):
        examples[0]["episode_metadata"]["file_path"] = b"/data/\xff\xfe.pkl"
        examples[1]["episode_metadata"]["file_path"] = b"/data/\xfe\xff.pkl"
        for step in examples[1]["steps"]:
            step["language_instruction"] = b"put the \xff block away"

    name = "nyu_franka_play_dataset_converted_externally_to_rlds"
    first, second = _decode(write_layout(name, tmp_path, edit=bad_bytes), load_profile(name))
    assert second.instruction == "put the \ufffd block away"
    assert first.file_path == "/data/\\xff\\xfe.pkl" and second.file_path == "/data/\\xfe\\xff.pkl"
    assert first.key != second.key


def test_a_file_path_without_an_episode_id_is_completed_by_the_records_place(layouts):
    """LIBERO's layout: one file holds many episodes and there is no episode_id."""
    name = "stanford_hydra_dataset_converted_externally_to_rlds"
    episodes = _decode(layouts[name], load_profile(name))
    shard = f"{name}-train.tfrecord-00000-of-00001"
    assert [e.episode_id for e in episodes] == [f"{shard}:0", f"{shard}:1"]
    assert episodes[0].key == f"/hydra/demo_0.hdf5_{shard}:0"


def test_camera_option_picks_another_camera_and_is_checked(layouts):
    from ecot_annotate.profiles.validate import ProfileError, check_profile_fits

    layout = RldsDataset.open(str(layouts["berkeley_autolab_ur5"])).layout()
    chosen = resolve_profile("auto", layout, camera="observation/hand_image")
    profile, how = chosen.profile, chosen.how
    assert profile.image_key == "observation/hand_image" and how.describe().endswith(
        "camera from --camera"
    )
    check_profile_fits(profile, layout)
    depth = resolve_profile("auto", layout, camera="observation/image_with_depth").profile
    with pytest.raises(ProfileError, match="is float32 \\[32, 32, 1\\], not an RGB uint8 image"):
        check_profile_fits(depth, layout)
