"""Which way each gripper reads, decided once per run from the data, before any episode is
annotated.

Hand makers count their fingers either way (an Inspire hand's 1 is open, a GR-1's 1.5 is closed)
and a recording's names rarely say which, so an inferred profile's guess is checked against the
run's first episodes (the ones the motion thresholds are calibrated on, read without frames): an
arm whose gripper makes more whole picks (a grasp, a carry, a release:
`geometry.subtask_changes.reads_reversed`) read the other way round in more of them than read the
profile's way is read the other way in every episode, so that no two episodes of one dataset name
the same motion `open gripper` and `close gripper`. The profile block says so in one line. A
profile given by file or built in is the user's word and is kept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.episode import Episode
from ecot_annotate.geometry.arm_signals import episode_arm_signals
from ecot_annotate.geometry.subtask_changes import reads_reversed, reversed_events
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.profiles.choice import Origin, ProfileChoice
from ecot_annotate.profiles.decision import Decision

OVERRIDE = "set gripper_open_is_high in a profile file (--profile FILE) to choose"


def resolve_gripper_direction(
    config: AnnotateConfig, how: ProfileChoice, episodes: list[Episode]
) -> tuple[AnnotateConfig, ProfileChoice]:
    """The config whose profile reads each gripper the way the first episodes show, and how the
    profile was chosen with a decision for every gripper turned round."""
    if how.origin is not Origin.INFERRED or not episodes:
        return config, how
    other, same = Counter(), Counter()
    for episode in episodes:
        for arm in episode_arm_signals(episode, config.motion, config.dataset_profile):
            other[arm.name] += reads_reversed(arm)
            same[arm.name] += reads_reversed(reversed_events(arm))
    turned = [name for name in other if other[name] > same[name]]
    if not turned:
        return config, how
    profile = _turned(config.dataset_profile, set(turned))
    decisions = tuple(
        Decision(
            f"arm {name}",
            f"gripper read larger = {'open' if _open_is_high(profile, name) else 'closed'}, "
            f"the other way round from the layout's guess: whole picks read so in {other[name]} "
            f"of the {len(episodes)} first episodes, the guessed way in {same[name]}",
            OVERRIDE,
        )
        for name in turned
    )
    how = replace(how, decisions=(*how.decisions, *decisions))
    return replace(config, dataset_profile=profile), how


def _turned(profile: DatasetProfile, names: set[str]) -> DatasetProfile:
    if not profile.arms:  # a single pose: its gripper is the profile's own
        return replace(profile, gripper_open_is_high=not profile.gripper_open_is_high)
    arms = tuple(
        replace(arm, gripper_open_is_high=not arm.gripper_open_is_high)
        if arm.name in names
        else arm
        for arm in profile.arms
    )
    return replace(profile, arms=arms)


def _open_is_high(profile: DatasetProfile, name: str) -> bool:
    arms = {arm.name: arm.gripper_open_is_high for arm in profile.arms}
    return arms.get(name, profile.gripper_open_is_high)
