"""Subtask boundaries from an arm's signals: gripper events through noise, stops and set-offs,
late commands back-dated, failed grasps, acts without a gripper, idle arms, contact."""

from __future__ import annotations

import numpy as np

from ecot_annotate.episode import Box
from ecot_annotate.geometry.arm_speed import arm_speed
from ecot_annotate.geometry.contact import contact_spans
from ecot_annotate.geometry.gripper_events import gripper_events
from ecot_annotate.geometry.subtask_changes import (
    ArmSignals,
    arm_changes,
    reads_reversed,
    reversed_events,
    segments,
)

HZ = 10.0


def _ramp(levels: list[tuple[int, float]], n: int) -> np.ndarray:
    """A signal through (step, value) knots, linear between them."""
    steps, values = zip(*levels, strict=True)
    return np.interp(np.arange(n), steps, values)


def _pick_place(n: int = 120):
    """x (m) and gripper (0..1) of a pick-and-place at 10 Hz: idle 0-10, reach 10-30, stop
    30-45 (closes 32-37), lift/carry 45-75, stop 75-90 (opens 77-82), retreat 90-110."""
    x = _ramp([(0, 0), (10, 0), (30, 0.3), (45, 0.3), (75, 0.6), (90, 0.6), (110, 0.9)], n)
    gripper = _ramp([(0, 1), (32, 1), (37, 0), (77, 0), (82, 1), (119, 1)], n)
    return np.stack([x, np.zeros(n), np.zeros(n)], axis=1), gripper


def _arm(xyz, *signals, name="arm", contact=()) -> ArmSignals:
    events = [e for signal in signals for e in signal]
    return ArmSignals(name, arm_speed(xyz, HZ, 0.01), tuple(events), contact)


def _kinds(changes) -> list[tuple[int, str]]:
    return [(c.step, c.kind) for c in changes]


def test_a_jittery_gripper_gives_its_events_once_each():
    rng = np.random.default_rng(0)
    _, gripper = _pick_place()
    noisy = gripper + rng.normal(0, 0.02, len(gripper))
    noisy[[20, 55, 100]] += [-0.1, 0.1, -0.1]  # spikes
    events = gripper_events(noisy, HZ, 0.15, "state gripper")
    assert [(e.kind, e.onset) for e in events] == [("close", 32), ("open", 77)]
    assert gripper_events(rng.normal(0.5, 0.02, 100), HZ, 0.15, "state gripper") == []
    twitch = _ramp([(0, 1), (40, 1), (41, 0.2), (42, 1), (99, 1)], 100)
    assert gripper_events(twitch, HZ, 0.15, "state gripper") == []


def test_a_gripper_that_opens_wider_after_the_release_still_closes_first():
    gripper = _ramp([(0, 0.6), (30, 0.6), (35, 0.3), (70, 0.3), (75, 1.0), (99, 1.0)], 100)
    events = gripper_events(gripper, HZ, 0.15, "hand")
    assert [(e.kind, e.onset) for e in events] == [("close", 30), ("open", 70)]


def test_stops_and_set_offs():
    xyz, _ = _pick_place()
    speed = arm_speed(xyz, HZ, 0.01)
    stops = speed.stops()
    assert stops[0][0] == 0 and any(a <= 32 < b for a, b in stops)
    assert abs(speed.motion_onset(37) - 45) <= 1  # the lift
    assert speed.motion_onset(110) is None
    assert not arm_speed(np.random.default_rng(1).normal(0, 1e-4, (80, 3)), HZ, 0.01).active


def test_a_pick_and_place_from_a_measured_gripper():
    xyz, gripper = _pick_place()
    changes = arm_changes(_arm(xyz, gripper_events(gripper, HZ, 0.15, "state gripper")))
    found = _kinds(changes)
    assert [k for _, k in found] == ["grasp", "carry", "release", "retreat"]
    for (step, _), want in zip(found, (32, 45, 77, 90), strict=True):
        assert abs(step - want) <= 1
    assert changes[0].signals == ("state gripper closes at 32",)


def test_a_late_binary_command_is_back_dated_to_the_stop_it_belongs_to():
    xyz, _ = _pick_place()
    command = _ramp([(0, 1), (44, 1), (45, 0), (89, 0), (90, 1), (119, 1)], 120).round()
    events = gripper_events(command, HZ, 0.15, "action gripper command", command=True)
    assert [(e.kind, e.onset, e.binary) for e in events] == [("close", 45, True), ("open", 90, True)]  # fmt: skip
    changes = arm_changes(_arm(xyz, events))
    assert [k for _, k in _kinds(changes)] == ["grasp", "carry", "release", "retreat"]
    assert abs(changes[0].step - 30) <= 2 and abs(changes[2].step - 75) <= 2  # 0.2 s
    assert "the command came late" in changes[0].signals[-1]
    # where in the stop before the command the grasp began is left open, and said
    assert changes[0].unsure == 45 - changes[0].step and changes[1].unsure == 0
    # A measured gripper places the boundary; the late command only confirms it.
    _, gripper = _pick_place()
    both = gripper_events(gripper, HZ, 0.15, "state gripper") + events
    assert abs(arm_changes(_arm(xyz, both))[0].step - 32) <= 1


def test_a_hand_shaping_itself_at_rest_is_no_grasp():
    xyz, gripper = _pick_place()
    shaped = _ramp([(0, 1), (3, 1), (6, 0.2), (119, 0.2)], 120)  # closes before the arm moves
    changes = arm_changes(_arm(xyz, gripper_events(shaped, HZ, 0.15, "hand")))
    assert all(c.kind != "grasp" for c in changes)


def test_a_failed_grasp_and_its_retry_are_two_segments():
    n = 150
    x = _ramp([(0, 0), (20, 0.3), (40, 0.3), (50, 0.32), (60, 0.32), (90, 0.62), (100, 0.62), (120, 0.9)], n)  # fmt: skip
    gripper = _ramp([(0, 1), (22, 1), (26, 0), (32, 0), (36, 1), (52, 1), (56, 0), (92, 0), (96, 1), (149, 1)], n)  # fmt: skip
    xyz = np.stack([x, np.zeros(n), np.zeros(n)], axis=1)
    found = _kinds(arm_changes(_arm(xyz, gripper_events(gripper, HZ, 0.15, "state gripper"))))
    assert [k for _, k in found] == ["grasp", "retry", "grasp", "carry", "release", "retreat"]
    assert abs(found[1][0] - 32) <= 1  # the reopening starts the retry


def test_an_arm_without_a_gripper_acts_at_its_stop():
    xyz, _ = _pick_place()
    changes = arm_changes(_arm(xyz))
    found = _kinds(changes)
    assert [k for _, k in found] == ["act", "retreat"]
    assert 30 <= found[0][0] <= 46
    # without a detector's touch, where in the stop the act began is a guess over the stop
    assert 12 <= changes[0].unsure <= 17 and changes[1].unsure == 0


def test_idle_arms_add_nothing_and_two_working_arms_are_named():
    xyz, gripper = _pick_place()
    still = np.zeros_like(xyz)
    events = gripper_events(gripper, HZ, 0.15, "state gripper")
    one = segments([_arm(xyz, events, name="right"), _arm(still, name="left")], 120)
    assert [s.kind for s in one] == ["reach", "grasp", "carry", "release", "retreat"]
    assert {s.arm for s in one[1:]} == {"right"}
    assert one[0].start == 0 and one[-1].end == 120  # the idle start belongs to the reach
    # An arm that only moves about while the other takes hold adds no act of its own.
    wiggle = _pick_place()[0] * 0.5
    two = segments([_arm(wiggle, name="left"), _arm(xyz, events, name="right")], 120)
    assert [s.kind for s in two] == [s.kind for s in one]


def test_contact_where_the_gripper_pixel_is_in_the_object_box():
    gripper = np.array([[5.0, 5.0]] * 3 + [[52.0, 50.0]] * 5 + [[5.0, 5.0]] * 2)
    boxes = [[Box("cup", 0.9, (40, 40, 60, 60)), Box("bowl", 0.9, (0, 0, 10, 10))]] * 10
    assert contact_spans(gripper, boxes, {"cup"}, HZ) == ((3, 8),)
    assert contact_spans(gripper, boxes, {"plate"}, HZ) == ()


def test_a_hand_counted_the_other_way_is_read_the_way_that_makes_a_pick():
    xyz, gripper = _pick_place()
    inverted = gripper_events(1 - gripper, HZ, 0.15, "hand")  # a hand whose 1 is closed
    assert [e.kind for e in inverted] == ["open", "close"]
    arm = _arm(xyz, inverted)
    assert reads_reversed(arm) and not reads_reversed(reversed_events(arm))
    found = _kinds(arm_changes(reversed_events(arm)))
    assert [k for _, k in found] == ["grasp", "carry", "release", "retreat"]
    assert abs(found[0][0] - 32) <= 1


def test_a_hand_closing_at_rest_after_the_task_is_no_grasp():
    xyz, _ = _pick_place()
    relaxes = _ramp([(0, 1), (112, 1), (115, 0), (119, 0)], 120)  # closes once the arm has stopped
    found = _kinds(arm_changes(_arm(xyz, gripper_events(relaxes, HZ, 0.15, "hand"))))
    assert all(k != "grasp" for _, k in found)


def test_empty_short_and_unreadable_episodes_are_one_segment_or_none():
    assert segments([_arm(np.zeros((0, 3)))], 0) == []
    assert [s.kind for s in segments([_arm(np.zeros((1, 3)))], 1)] == ["reach"]
    blank = np.full((20, 3), np.nan)
    assert [s.kind for s in segments([_arm(blank, gripper_events(blank[:, 0], HZ, 0.15, "g"))], 20)] == ["reach"]  # fmt: skip


def test_a_release_that_closes_again_as_the_arm_leaves_is_found():
    """The shared SO-101's third episode at 30 Hz: the gripper holds the cube at 10, opens to 30
    for a sixth of a second to let go, and closes to 2 as the arm moves off; a second close at
    rest used to hide the release, so the episode ended in its carry."""
    hz = 30.0
    held = _ramp([(0, 2), (40, 2), (50, 33), (80, 33), (95, 10), (150, 10)], 200)
    gripper = held + _ramp([(0, 0), (150, 0), (153, 20), (158, 20), (161, -8), (199, -8)], 200)
    found = gripper_events(gripper, hz, 5.0, "state gripper")
    assert [e.kind for e in found] == ["open", "close", "open", "close"]
    assert abs(found[2].onset - 150) <= 2


def test_a_close_reopened_within_a_second_is_found():
    """ALOHA's 0.8 s clips at 50 Hz: a grasp and its release within the change window."""
    gripper = _ramp([(0, 1), (10, 1), (13, 0.1), (30, 0.1), (33, 1), (39, 1)], 40)
    found = gripper_events(gripper, 50.0, 0.15, "state gripper")
    assert [(e.kind, e.onset) for e in found] == [("close", 10), ("open", 30)]


def test_two_arms_that_change_together_make_one_change_naming_both():
    """Folding a cloth: both arms grasp, carry, release and retreat within a few steps of each
    other, and a person labels one subtask for each; arms a few seconds apart are two."""
    xyz, gripper = _pick_place()

    def later(steps: int, xyz: np.ndarray = xyz, gripper: np.ndarray = gripper) -> ArmSignals:
        """The same pick-and-place by the right arm, `steps` later (idle until then)."""
        moved, closed = (
            np.concatenate([v[:1].repeat(steps, 0), v[:-steps]]) for v in (xyz, gripper)
        )
        return _arm(moved, gripper_events(closed, HZ, 0.15, "state gripper"), name="right")

    left = _arm(xyz, gripper_events(gripper, HZ, 0.15, "state gripper"), name="left")
    right = later(3)
    together = segments([left, right], 120)
    assert [s.kind for s in together] == ["reach", "grasp", "carry", "release", "retreat"]
    assert {s.arm for s in together[1:]} == {"left and right"}
    assert together[1].start == segments([left], 120)[1].start  # where the first arm starts
    assert any(s.startswith("right arm: ") for s in together[1].signals)
    # A quick grasp: the first arm lifts (38) before the second, 0.9 s behind, grasps (40).
    x = _ramp([(0, 0), (10, 0), (30, 0.3), (38, 0.3), (70, 0.6), (85, 0.6), (105, 0.9)], 120)
    quick = np.stack([x, np.zeros(120), np.zeros(120)], axis=1)
    closes = _ramp([(0, 1), (31, 1), (34, 0), (72, 0), (75, 1), (119, 1)], 120)
    first = _arm(quick, gripper_events(closes, HZ, 0.15, "state gripper"), name="left")
    quick_pair = segments([first, later(9, quick, closes)], 120)
    assert [(s.start, s.kind) for s in quick_pair] == [(0, "reach"), (31, "grasp"), (39, "carry"), (72, "release"), (85, "retreat")]  # fmt: skip
    apart = segments([left, later(15)], 120)
    assert sorted(s.arm for s in apart[1:]) == ["left"] * 4 + ["right"] * 4


def test_a_hand_opening_at_full_speed_is_no_release():
    """The gripper closes in the stop at 30-45, then opens only as the arm sweeps on at its
    fastest (90-105): the hand relaxes on the way, nothing was set down there."""
    x = _ramp([(0, 0), (10, 0), (30, 0.3), (45, 0.3), (75, 0.6), (90, 0.6), (105, 1.2)], 120)
    xyz = np.stack([x, np.zeros(120), np.zeros(120)], axis=1)
    relaxes = _ramp([(0, 1), (32, 1), (37, 0), (96, 0), (100, 1), (119, 1)], 120)
    changes = arm_changes(_arm(xyz, gripper_events(relaxes, HZ, 0.15, "state gripper")))
    assert [k for _, k in _kinds(changes)] == ["grasp", "carry"]
