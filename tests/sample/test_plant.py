"""Planted defects: each is where it would be in a real run, and only in the episode planted."""

import numpy as np
import pytest

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import SINGLE_ARM, ArmTrack, Episode
from ecot_annotate.sample.generate import Camera, make_episode, make_scene
from ecot_annotate.sample.plant import (
    GRIPPER,
    INVERTED_GRIPPER,
    JITTER_M,
    JITTERED_STATE,
    SHIFT_STEPS,
    recording_planter,
    shift_subtask,
    wrong_direction,
)
from ecot_annotate.sample.truth import Variant
from ecot_annotate.stages import annotate
from ecot_annotate.store.corrections import subtask_segments
from ecot_annotate.text.checks import episode_words, field_failures

MOVE_REASON_DISAGREES = "move_reason_disagrees"  # the check a wrong direction fails


def _rules_chain():
    """A generated pick-and-place annotated by the motion stage and the rules reasoner."""
    scene = make_scene(0, np.random.default_rng(0), 3, Variant())
    xyz = scene.script.positions.astype(np.float32)
    n = len(xyz)
    flags = np.zeros(n, bool)
    arm = ArmTrack(SINGLE_ARM, xyz, np.zeros((n, 3), np.float32), scene.script.openings.astype(np.float32), None, "state")  # fmt: skip
    episode = Episode(
        key="e", dataset="sample", instruction=scene.instruction, images=[], image_size=(0, 0),
        state=np.zeros((n, 7), np.float32), action=np.zeros((n, 7), np.float32), arms=(arm,),
        is_first=flags, is_last=flags, is_terminal=flags,
    )  # fmt: skip
    return episode, annotate(AnnotateConfig(input="", out=""), episode)


def test_a_shifted_subtask_starts_its_steps_late_and_leaves_the_moves():
    episode, annotation = _rules_chain()
    before = [r.subtask for r in annotation.reasoning]
    moves = [r.move for r in annotation.reasoning]
    reasons = [r.move_reason for r in annotation.reasoning]
    grasp = next(s for s in subtask_segments(before) if s[2].startswith("Grasp"))
    after = [r.subtask for r in shift_subtask(annotation).reasoning]
    moved = next(s for s in subtask_segments(after) if s[2] == grasp[2])
    assert (moved[0], moved[1]) == (grasp[0] + SHIFT_STEPS, grasp[1] + SHIFT_STEPS)
    assert after[grasp[0] : moved[0]] == [before[grasp[0] - 1]] * SHIFT_STEPS
    assert after[moved[1] + 1 :] == before[moved[1] + 1 :]
    assert [r.move for r in annotation.reasoning] == moves
    assert [r.move_reason for r in annotation.reasoning] == reasons


def test_a_wrong_direction_fails_the_move_reason_check_on_one_motion():
    episode, annotation = _rules_chain()
    words = episode_words(episode.instruction)
    good = [r.move_reason for r in annotation.reasoning]
    wrong_direction(annotation)
    changed = [t for t, r in enumerate(annotation.reasoning) if r.move_reason != good[t]]
    assert changed and changed == list(range(changed[0], changed[-1] + 1))
    assert len({annotation.reasoning[t].move for t in changed}) == 1
    for t in changed:
        step = annotation.reasoning[t]
        assert MOVE_REASON_DISAGREES in field_failures("move_reason", step.move_reason, words, move=step.move)  # fmt: skip
        assert not field_failures("move_reason", good[t], words, move=step.move)


@pytest.fixture(scope="module")
def camera():
    return Camera.look_at(np.array([0.75, 0.0, 0.45]), np.array([0.3, 0.0, 0.02]))


def _episode(index, camera, plant=None):
    episode = make_episode(index, np.random.default_rng(index), camera, n_objects=3)
    return plant(index, episode) if plant else episode


def _column(episode, part, index):
    return np.array([s[part][index] if part == "action" else s["observation"][part][index] for s in episode["steps"]])  # fmt: skip


def test_recording_defects_change_only_their_channel_of_their_episode(camera):
    plant = recording_planter({1: INVERTED_GRIPPER, 2: JITTERED_STATE})
    clean = {i: _episode(i, camera) for i in (0, 1, 2)}
    planted = {i: _episode(i, camera, plant) for i in (0, 1, 2)}
    assert np.array_equal(_column(planted[0], "state", slice(None)), _column(clean[0], "state", slice(None)))  # fmt: skip
    for part in ("state", "action"):
        assert np.allclose(_column(planted[1], part, GRIPPER), 1 - _column(clean[1], part, GRIPPER))
        assert np.array_equal(_column(planted[1], part, slice(0, 6)), _column(clean[1], part, slice(0, 6)))  # fmt: skip
    shaken = _column(planted[2], "state", slice(0, 3)) - _column(clean[2], "state", slice(0, 3))
    assert 0.5 * JITTER_M < shaken.std() < 2 * JITTER_M
    assert np.array_equal(_column(planted[2], "action", slice(None)), _column(clean[2], "action", slice(None)))  # fmt: skip
