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
from ecot_annotate.profiles.choice import Origin, ProfileChoice, ProfileRef
from ecot_annotate.profiles.decision import CAMERA, JOINT_UNITS, KINEMATICS, Decision
from ecot_annotate.profiles.infer import Inference, infer_profile, require
from ecot_annotate.profiles.layout import DatasetLayout
from ecot_annotate.profiles.model import NO_CAMERA, ArmProfile, DatasetProfile


@dataclass(frozen=True)
class ResolvedProfile:
    """A run's profile, decided once: what it is, how it was chosen, and what the run records."""

    profile: DatasetProfile
    how: ProfileChoice
    ref: str  # what the run records: the name, or the file or "inferred" with a content digest


@dataclass(frozen=True)
class Chosen:
    """The profile asked for, how it was chosen, and the inference behind it (None for a built-in
    profile or a file); its `problems` name what a run would still need set."""

    profile: DatasetProfile
    how: ProfileChoice
    inference: Inference | None = None


def choose_profile(requested: str, layout: DatasetLayout, camera: str | None = None) -> Chosen:
    """A file or built-in name, the dataset's built-in profile, or one inferred from the dataset
    (with the decisions inference took), with `camera` applied: "none", or a dataset whose
    declared cameras ship no frame at all, gives no camera (image key None)."""
    said, inference = layout.conventions, None
    if requested != "auto":
        origin = Origin.BUILTIN if requested in builtin_profiles() else Origin.FILE
        source = requested if origin is Origin.FILE else ""
        profile, how = (
            load_profile(requested),
            ProfileChoice(origin, source, (), layout.notes, said),
        )
    elif layout.name in builtin_profiles():
        profile = load_profile(layout.name)
        how = ProfileChoice(Origin.BUILTIN, "", (), layout.notes, said)
    else:
        inference = infer_profile(layout)
        profile = inference.profile
        how = ProfileChoice(Origin.INFERRED, "", (), tuple(inference.decisions), said)
    if camera == NO_CAMERA:
        profile, how = (
            replace(profile, image_key=None),
            how.with_override("no camera (--camera none)"),
        )
    elif camera:
        profile, how = replace(profile, image_key=camera), how.with_override("camera from --camera")
    elif layout.no_frames:
        shipped = f"not one video file of {', '.join(layout.unshipped)} ships with the data"
        profile = replace(profile, image_key=None)
        said_camera = Decision(
            CAMERA, f"none: {shipped}; annotated from the state alone", "", CAMERA
        )
        how = replace(how, decisions=(*how.decisions, said_camera))
    return Chosen(profile, how, inference)


def resolve_profile(
    requested: str,
    layout: DatasetLayout,
    camera: str | None = None,
    kinematics: str | None = None,
    ee_link: str | None = None,
    joint_units: str | None = None,
) -> ResolvedProfile:
    """The profile for a built-in name, a file, or 'auto' (see `choose_profile`).

    Raises ProfileInferenceError naming the fields to set when 'auto' finds no built-in profile
    and the dataset does not describe itself well enough; the caller checks the result whole.
    `kinematics`, `ee_link` and `joint_units` override every arm's.
    """
    recorded = ProfileRef.parse(requested)
    if recorded is not None:  # the reference an older run recorded, before runs kept the profile
        profile = resolve_profile(
            recorded.name, layout, camera, kinematics, ee_link, joint_units
        ).profile
        if _digest(profile) != recorded.digest:
            raise InputError(
                f"the run's profile '{requested}' is no longer what it was: the file or the "
                "dataset changed since; annotate again to record the profile in the run"
            )
        choice = ProfileChoice(Origin.RECORDED, requested, conventions=layout.conventions)
        return ResolvedProfile(profile, choice, requested)
    chosen = choose_profile(requested, layout, camera)
    if chosen.inference is not None:
        require(chosen.inference)  # raises naming every field left to set
    profile, how = chosen.profile, chosen.how
    given = {CAMERA: camera, KINEMATICS: kinematics or ee_link, JOINT_UNITS: joint_units}
    kept = tuple(d for d in how.decisions if not given.get(d.setting))
    how = replace(how, decisions=kept)  # an option given replaces the decision it stood for
    if kinematics or ee_link or joint_units:
        profile = with_kinematics(profile, kinematics, ee_link, joint_units)
        if kinematics or ee_link:
            how = how.with_override("model from --kinematics")
        if joint_units:
            how = how.with_override("joint units from --joint-units")
    return ResolvedProfile(profile, how, _ref(requested, profile, how).text)


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


def _digest(profile: DatasetProfile) -> str:
    text = json.dumps(profile.as_dict(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _ref(requested: str, profile: DatasetProfile, how: ProfileChoice) -> ProfileRef:
    """What a run records as its profile's name: a built-in name stands for its content; a file
    or an inferred profile is named by a digest of its content, so editing the file after a run
    is another config."""
    if how.origin is Origin.BUILTIN:
        return ProfileRef(Origin.BUILTIN, requested if requested != "auto" else profile.name)
    if how.origin is Origin.FILE:
        return ProfileRef(Origin.FILE, requested, _digest(profile))
    return ProfileRef(Origin.INFERRED, profile.name, _digest(profile))


def _indices(values: tuple[int, ...]) -> str:
    return ",".join(str(i) for i in values) or "-"


def _arm_line(arm: ArmProfile) -> str:
    model = arm.kinematics or (
        "none (unknown arm: move/stop and gripper only; --kinematics FILE.urdf --ee-link LINK "
        "for full moves)"
    )
    gripper = "none" if arm.gripper_index is None else f"state[{arm.gripper_index}]"
    if arm.hand_indices and arm.gripper_index is not None:
        gripper = f"state[{_indices(arm.hand_indices)}] together (a hand)"
    exact = "approximate" if arm.approximate else "exact"
    return (
        f"  arm {arm.name:<8} joints [{_indices(arm.joint_indices)}] in {arm.joint_units} "
        f"({exact}); model {model}; gripper {gripper}"
    )


def _decision_line(decision: Decision) -> str:
    return f"  decided      {decision.line()}"


def profile_summary(profile: DatasetProfile, how: ProfileChoice) -> str:
    """A few lines that say where each part of an episode comes from, and every decision taken
    for the user, each with the setting that overrides it."""
    p, conventions = profile, how.conventions
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
    if conventions.episode_keys:
        ids = conventions.episode_keys
    elif not p.file_path_key:
        ids += " (keys: dataset/split/shard:position)"
    instruction = p.instruction_key or ("task table" if conventions.task_table else "none")
    lines = [
        f"profile {p.name} ({how.describe()})",
        f"  camera       {p.image_key}"
        if p.image_key is not None
        else "  camera       none: annotated from the state alone, perception skipped",
        f"  state        {' + '.join(p.state_keys) or 'none'}",
        f"  action       {' + '.join(p.action_keys)}",
        "  motion       from the joints, forward kinematics per arm"
        if p.motion_from.per_arm
        else f"  motion       from {motion}: {track}; gripper {gripper}",
        *(_arm_line(arm) for arm in p.arms),
        f"  instruction  {instruction}",
        f"  episode ids  {ids}" + (f"; {p.control_hz:g} Hz" if p.control_hz else ""),
        *(_decision_line(d) for d in how.decisions),
    ]
    return "\n".join(lines)
