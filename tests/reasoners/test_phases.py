"""The segments the reasoners describe: the run's, or the episode's own signals for a library
caller that ran no stage; the move text names each arm."""

from __future__ import annotations

import numpy as np

from ecot_annotate.episode import Annotation, ArmTrack, Episode, Segment
from ecot_annotate.reasoners.phases import describe_phase, episode_segments, is_still
from ecot_annotate.text.instruction import parse_instruction


def _episode(xyz: np.ndarray, gripper: np.ndarray) -> Episode:
    n = len(xyz)
    zeros = np.zeros((n, 3), np.float32)
    return Episode(
        "k", "d", "put the cup in the sink", [], (0, 0), np.zeros((n, 7), np.float32),
        np.zeros((n, 7), np.float32), (ArmTrack("arm", xyz, zeros, gripper, None, "state"),),
        np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool),
    )  # fmt: skip


def _pick_place() -> Episode:
    """A 5 Hz pick-and-place in metres (ECoT's fixed window is made for 5 Hz)."""
    n = 40
    x = np.interp(np.arange(n), [0, 8, 14, 24, 30, 38], [0, 0.3, 0.3, 0.6, 0.6, 0.9])
    gripper = np.interp(np.arange(n), [0, 9, 11, 25, 27, 39], [1, 1, 0, 0, 1, 1])
    return _episode(np.stack([x, np.zeros(n), np.zeros(n)], axis=1), gripper)


def test_the_move_names_each_arm():
    left, right = ["move down", "close gripper"], ["stop", "move up"]
    moves = Annotation(arm_primitives={"left": left, "right": right}).moves
    assert moves == ["left arm: move down; right arm: stop", "left arm: close gripper; right arm: move up"]  # fmt: skip
    assert Annotation(arm_primitives={"arm": ["stop"]}).moves == ["stop"]
    assert is_still("left arm: stop; right arm: stop") and not is_still(moves[0])


def test_the_runs_segments_are_used_as_they_are():
    made = [Segment("reach", 0, 3), Segment("grasp", 3, 5, ("state gripper closes at 3",))]
    episode = _pick_place()
    assert episode_segments(episode, Annotation(segments=made), True) is made


def test_without_the_stage_the_episode_is_segmented_from_its_own_signals():
    episode = _pick_place()
    found = episode_segments(episode, Annotation(), True)
    assert [s.kind for s in found] == ["reach", "grasp", "carry", "release", "retreat"]
    assert found[0].start == 0 and found[-1].end == episode.n_steps
    still = _episode(np.zeros((10, 3)), np.ones(10))
    assert [s.kind for s in episode_segments(still, Annotation(), False)] == ["act"]


def test_each_kind_in_the_instructions_words():
    parsed = parse_instruction("put the cup in the sink")
    assert describe_phase("retry", parsed) == "open the gripper and move to the cup again"
    assert describe_phase("carry", parsed) == "carry the cup to the sink"
    assert (
        describe_phase("act", parse_instruction("press the green button"))
        == "press the green button"
    )
