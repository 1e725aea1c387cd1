"""Check a whole profile against a dataset's layout before any work, every problem on one line."""

from __future__ import annotations

from ecot_annotate.errors import InputError
from ecot_annotate.profiles.layout import IMAGE, TEXT, DatasetLayout, Feature
from ecot_annotate.profiles.model import (
    GRIPPER_SOURCES,
    QUATERNION_ORDERS,
    ROTATIONS,
    DatasetProfile,
)

ROTATION_WIDTH = {"euler": 3, "quaternion": 4, "axis_angle": 3, "none": 0}


class ProfileError(InputError):
    """A profile that does not fit its dataset; `problems` holds one line per problem."""

    def __init__(self, profile: str, dataset: str, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(
            f"profile '{profile}' does not fit dataset '{dataset}' ({count}):\n{lines}"
        )


def _is_numeric(feature: Feature) -> bool:
    return feature.kind not in (IMAGE, TEXT)


def _candidates(layout: DatasetLayout, wanted) -> str:
    keys = [k for k in layout.all_keys() if wanted(layout.feature(k))]
    return ", ".join(keys) or "(none)"


def _key_problems(p: DatasetProfile, layout: DatasetLayout) -> list[str]:
    problems = []
    image = layout.steps.get(p.image_key) if p.image_key is not None else None
    if p.image_key is None:
        pass  # no camera: the episodes are read from their state alone
    elif image is None:
        images = _candidates(layout, lambda f: f.kind == IMAGE)
        problems.append(f"image_key: '{p.image_key}' is not a step feature; images: {images}")
    elif not (image.is_rgb or (image.dtype == "uint8" and image.shape[-1:] == (3,))):
        rgb = _candidates(layout, lambda f: f.is_rgb)
        problems.append(
            f"image_key: '{p.image_key}' is {image.dtype} {list(image.shape)}, not an RGB uint8 "
            f"image; RGB images: {rgb}"
        )
    numeric = _candidates(layout, lambda f: _is_numeric(f) and f.width > 1)
    for field in ("state_keys", "action_keys"):
        for key in getattr(p, field):
            feature = layout.steps.get(key)
            if feature is None or not _is_numeric(feature):
                problems.append(
                    f"{field}: '{key}' is not a numeric step feature; candidates: {numeric}"
                )
    if not p.action_keys:
        problems.append(f"action_keys: empty; candidates: {numeric}")
    optional = (
        (
            "instruction_key",
            p.instruction_key,
            lambda f: f.kind == TEXT or f.dtype.startswith("int"),
        ),
        ("file_path_key", p.file_path_key, lambda f: f.kind == TEXT),
        ("episode_id_key", p.episode_id_key, lambda f: f.kind == TEXT or f.width == 1),
    )
    for field, key, fits in optional:
        if key is None or (field == "instruction_key" and layout.conventions.task_table):
            continue
        feature = layout.feature(key)
        if feature is None or not fits(feature):
            found = _candidates(layout, fits)
            problems.append(f"{field}: '{key}' is not in the dataset; candidates: {found}")
    return problems


def _width(layout: DatasetLayout, keys: tuple[str, ...]) -> int | None:
    features = [layout.steps.get(k) for k in keys]
    if any(f is None for f in features):
        return None
    return sum(f.width for f in features)


def _index_problems(p: DatasetProfile, layout: DatasetLayout) -> list[str]:
    problems = []
    for field, value, allowed in (
        ("rotation", p.rotation, ROTATIONS),
        ("gripper_from", p.gripper_from, GRIPPER_SOURCES),
        ("quaternion_order", p.quaternion_order, QUATERNION_ORDERS),
    ):
        if value not in allowed:
            problems.append(f"{field}: '{value}' is not one of {', '.join(allowed)}")
    widths = {"state": _width(layout, p.state_keys), "action": _width(layout, p.action_keys)}
    names = {"state": " + ".join(p.state_keys), "action": " + ".join(p.action_keys)}
    motion = "action" if p.motion_from.in_action else "state"
    if motion == "state" and not p.state_keys:
        problems.append(
            "motion_from: 'state' but state_keys is empty; set motion_from = 'action_deltas'"
        )
    if len(p.xyz_indices) not in (0, 2, 3):
        problems.append(
            f"xyz_indices: {len(p.xyz_indices)} values; give 3 (x, y, z), 2 (x, y) or none"
        )
    need = ROTATION_WIDTH.get(p.rotation)
    if need is not None and len(p.rotation_indices) != need:
        problems.append(
            f"rotation_indices: {len(p.rotation_indices)} values, rotation '{p.rotation}' needs "
            f"{need}" + ("; set rotation = 'none' or give the indices" if need else "")
        )
    groups = [
        ("xyz_indices", motion, p.xyz_indices),
        ("rotation_indices", motion, p.rotation_indices),
    ]
    if p.gripper_from in ("state", "action"):
        if p.gripper_index is None:
            problems.append(f"gripper_index: missing; gripper_from is '{p.gripper_from}'")
        else:
            groups.append(("gripper_index", p.gripper_from, (p.gripper_index,)))
    used: dict[tuple[str, int], str] = {}
    for field, source, indices in groups:
        width = widths[source]
        for i in indices:
            if width is not None and not 0 <= i < width:
                problems.append(
                    f"{field}: index {i} is outside the {source} ({names[source] or 'empty'}, "
                    f"{width} values: 0..{width - 1})"
                )
            if (source, i) in used and used[(source, i)] != field:
                problems.append(f"{field}: index {i} is also used by {used[(source, i)]}")
            used[(source, i)] = field
    if p.control_hz is not None and not p.control_hz > 0:
        problems.append(f"control_hz: {p.control_hz} is not a positive rate")
    return problems


def _model_problems(arm, where: str) -> list[str]:
    """The arm's kinematic model: it must load, and its joints must be the arm's joints."""
    from ecot_annotate.errors import InputError
    from ecot_annotate.profiles.kinematics import arm_model

    try:
        model = arm_model(arm.kinematics, arm.ee_link)
    except InputError as exc:
        return [f"{where}.kinematics: {exc}"]
    if len(model.joint_names) != len(arm.joint_indices):
        return [
            f"{where}.joint_indices: {len(arm.joint_indices)} joints, but the model "
            f"'{model.name}' has {len(model.joint_names)} ({', '.join(model.joint_names)})"
        ]
    return []


def _arm_problems(p: DatasetProfile, layout: DatasetLayout) -> list[str]:
    """The arms of a joint-space profile: named once, inside the state, each value used once."""
    if not p.motion_from.per_arm:
        return ["arms: given, but motion_from is not 'joints'"] if p.arms else []
    if not p.arms:
        return ["arms: motion_from is 'joints' but no arm is listed; add an [[arms]] table"]
    from ecot_annotate.kinematics.units import JOINT_UNITS

    width = _width(layout, p.state_keys)
    problems, used, names = [], {}, set()
    for number, arm in enumerate(p.arms):
        where = f"arms[{number}] ({arm.name})"
        if arm.name in names:
            problems.append(f"{where}.name: another arm is also called '{arm.name}'")
        names.add(arm.name)
        if arm.joint_units not in JOINT_UNITS:
            problems.append(
                f"{where}.joint_units: '{arm.joint_units}' is not one of {', '.join(JOINT_UNITS)}"
            )
        if not arm.joint_indices:
            problems.append(f"{where}.joint_indices: empty")
        grip = () if arm.gripper_index is None else (arm.gripper_index,)
        for field, indices in (("joint_indices", arm.joint_indices), ("gripper_index", grip)):
            for i in indices:
                if width is not None and not 0 <= i < width:
                    problems.append(
                        f"{where}.{field}: index {i} is outside the state ({width} values)"
                    )
                if i in used:
                    problems.append(f"{where}.{field}: index {i} is also used by {used[i]}")
                used[i] = f"{where}.{field}"
        for i in arm.hand_indices:  # a hand's values include the gripper_index finger
            if width is not None and not 0 <= i < width:
                problems.append(
                    f"{where}.hand_indices: index {i} is outside the state ({width} values)"
                )
        if arm.kinematics is not None and arm.joint_units in JOINT_UNITS:
            problems += _model_problems(arm, where)
    return problems


def profile_problems(profile: DatasetProfile, layout: DatasetLayout) -> list[str]:
    """Every way the profile does not fit the layout, one line each; empty when it fits."""
    return (
        _key_problems(profile, layout)
        + _index_problems(profile, layout)
        + _arm_problems(profile, layout)
    )


def check_profile_fits(profile: DatasetProfile, layout: DatasetLayout) -> None:
    """Raise ProfileError naming every problem at once, before any episode is read."""
    problems = profile_problems(profile, layout)
    if problems:
        raise ProfileError(profile.name, layout.name, problems)
