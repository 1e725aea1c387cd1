"""`--profile auto`: the built-in profile named like the dataset, else one inferred from it.

The run then checks the result against the dataset as a whole before any work, and a short
block says which profile it uses and where each part of the episode comes from.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from ecot_annotate.errors import InputError
from ecot_annotate.profiles import builtin_profiles, load_profile
from ecot_annotate.profiles.infer import infer_profile, require
from ecot_annotate.profiles.layout import DatasetLayout
from ecot_annotate.profiles.model import ArmProfile, DatasetProfile

NO_CAMERA = "none"  # --camera none: no frames are read; episodes are annotated from the state


@dataclass(frozen=True)
class ResolvedProfile:
    """A run's profile, decided once: what it is, how it was chosen, and what the run records."""

    profile: DatasetProfile
    how: str  # "built-in profile for this dataset", "inferred from the dataset", "profile FILE"
    ref: str  # the name, or the file or "inferred" with a digest of the content


def resolve_profile(
    requested: str,
    layout: DatasetLayout,
    camera: str | None = None,
    kinematics: str | None = None,
    ee_link: str | None = None,
    joint_units: str | None = None,
) -> ResolvedProfile:
    """The profile for a built-in name, a file, or 'auto'.

    Raises ProfileInferenceError naming the fields to set when 'auto' finds no built-in profile
    and the dataset does not describe itself well enough; the caller checks the result whole.
    `camera` overrides the profile's; "none", or a dataset whose declared cameras ship no frame
    at all, gives no camera (image key None). `kinematics`, `ee_link` and `joint_units` override
    every arm's.
    """
    recorded = _recorded(requested)
    if recorded is not None:  # the reference an older run recorded, before runs kept the profile
        profile = resolve_profile(
            recorded[0], layout, camera, kinematics, ee_link, joint_units
        ).profile
        if _digest(profile) != recorded[1]:
            raise InputError(
                f"the run's profile '{requested}' is no longer what it was: the file or the "
                "dataset changed since; annotate again to record the profile in the run"
            )
        return ResolvedProfile(profile, f"as recorded by the run ({requested})", requested)
    if requested != "auto":
        profile, how = load_profile(requested), f"profile {requested}"
    elif layout.name in builtin_profiles():
        profile, how = load_profile(layout.name), "built-in profile for this dataset"
    else:
        profile, how = require(infer_profile(layout)), "inferred from the dataset"
    if camera == NO_CAMERA:
        profile, how = replace(profile, image_key=None), f"{how}, no camera (--camera none)"
    elif camera:
        profile, how = replace(profile, image_key=camera), f"{how}, camera from --camera"
    elif layout.no_frames:
        shipped = f"not one video file of {', '.join(layout.unshipped)} ships with the data"
        profile, how = replace(profile, image_key=None), f"{how}; no camera: {shipped}"
    if kinematics or ee_link or joint_units:
        profile = with_kinematics(profile, kinematics, ee_link, joint_units)
        if kinematics or ee_link:
            how = f"{how}, model from --kinematics"
        if joint_units:
            how = f"{how}, joint units from --joint-units"
    return ResolvedProfile(profile, how, _ref(requested, profile, how))


def with_kinematics(
    profile: DatasetProfile,
    kinematics: str | None,
    ee_link: str | None,
    joint_units: str | None = None,
) -> DatasetProfile:
    """Every arm moved by the given URDF (and end-effector link) and read in the given joint
    units: `--kinematics` serves an arm no built-in model knows, `--joint-units` a recording whose
    values cannot tell its unit (degrees and range mode both stay within -100..100)."""
    if not profile.motion_from.per_arm:
        given = [
            option
            for option, value in (
                ("--kinematics", kinematics),
                ("--ee-link", ee_link),
                ("--joint-units", joint_units),
            )
            if value
        ]
        raise InputError(
            f"{' and '.join(given)} {'serves' if len(given) == 1 else 'serve'} a robot whose "
            f"state is joint positions; profile "
            f"'{profile.name}' reads its motion from {profile.motion_from}"
        )
    arms = tuple(
        replace(
            arm,
            kinematics=kinematics or arm.kinematics,
            ee_link=ee_link or arm.ee_link,
            joint_units=joint_units or arm.joint_units,
        )
        for arm in profile.arms
    )
    return replace(profile, arms=arms)


def _recorded(ref: str) -> tuple[str, str] | None:
    """(what was asked, the digest) of a reference naming a file or inferred profile by content."""
    if ref.startswith("inferred:"):
        return "auto", ref.removeprefix("inferred:")
    if "#" in ref:
        path, _, digest = ref.rpartition("#")
        return path, digest
    return None


def _digest(profile: DatasetProfile) -> str:
    text = json.dumps(profile.as_dict(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ref(requested: str, profile: DatasetProfile, how: str) -> str:
    """What a run records as its profile's name: a built-in name stands for its content; a file
    or an inferred profile is named by a digest of its content, so editing the file after a run
    is another config."""
    if requested in builtin_profiles():
        return requested
    if requested != "auto":
        return f"{requested}#{_digest(profile)}"
    if how.startswith("inferred"):
        return f"inferred:{_digest(profile)}"
    return profile.name


def _indices(values: tuple[int, ...]) -> str:
    return ",".join(str(i) for i in values) or "-"


def _arm_line(arm: ArmProfile) -> str:
    model = arm.kinematics or "none (unknown arm: move/stop and gripper only)"
    gripper = "none" if arm.gripper_index is None else f"state[{arm.gripper_index}]"
    exact = "approximate" if arm.approximate else "exact"
    return (
        f"  arm {arm.name:<8} joints [{_indices(arm.joint_indices)}] in {arm.joint_units} "
        f"({exact}); model {model}; gripper {gripper}"
    )


def unknown_arm_line(profile: DatasetProfile) -> str | None:
    """The line a run starts with when an arm has no kinematic model: what full names need."""
    unknown = [arm.name for arm in profile.arms if arm.kinematics is None]
    if not unknown:
        return None
    return (
        f"  note         no kinematic model for {', '.join(unknown)}: moves are named move/stop "
        "and open/close gripper only; for full move names pass --kinematics FILE.urdf "
        "--ee-link LINK"
    )


def profile_summary(profile: DatasetProfile, how: str, source: str = "rlds") -> str:
    """A few lines that say where each part of an episode comes from."""
    p = profile
    rotation = p.rotation if p.rotation != "quaternion" else f"quaternion {p.quaternion_order}"
    track = f"xyz [{_indices(p.xyz_indices)}], {rotation} [{_indices(p.rotation_indices)}]"
    motion = f"action ({p.motion_from})" if p.motion_from.in_action else "state"
    gripper = (
        "none (no gripper primitives)"
        if p.gripper_from == "none"
        else f"{p.gripper_from}[{p.gripper_index}], "
        + ("larger = open" if p.gripper_open_is_high else "larger = closed")
    )
    ids = " + ".join(k for k in (p.file_path_key, p.episode_id_key) if k) or "none"
    if source == "lerobot":
        ids = "episode_index (keys: dataset/split/episode_index)"
    elif not p.file_path_key:
        ids += " (keys: dataset/split/shard:position)"
    lines = [
        f"profile {p.name} ({how})",
        f"  camera       {p.image_key}"
        if p.image_key is not None
        else "  camera       none: annotated from the state alone, perception skipped",
        f"  state        {' + '.join(p.state_keys) or 'none'}",
        f"  action       {' + '.join(p.action_keys)}",
        "  motion       from the joints, forward kinematics per arm"
        if p.motion_from.per_arm
        else f"  motion       from {motion}: {track}; gripper {gripper}",
        *(_arm_line(arm) for arm in p.arms),
        *([unknown_arm_line(p)] if unknown_arm_line(p) else []),
        f"  instruction  {p.instruction_key or ('task table' if source == 'lerobot' else 'none')}",
        f"  episode ids  {ids}" + (f"; {p.control_hz:g} Hz" if p.control_hz else ""),
    ]
    return "\n".join(lines)
