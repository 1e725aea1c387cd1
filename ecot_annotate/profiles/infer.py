# Long file: one inference reads every part of a profile (camera, action, state, arms) from a layout.
"""Infer a profile from a dataset's own description (RLDS features.json, LeRobot info.json).

Each field is picked from the features by kind, dtype and the names Open X-Embodiment datasets
use; where the dataset does not say enough (an undocumented 15-value state), inference stops
with the field to set and its candidates instead of guessing. `notes` records why each field
has its value, for the commented TOML that `ecot-annotate profile --write` produces.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ecot_annotate.errors import InputError
from ecot_annotate.profiles import oxe_names as names
from ecot_annotate.profiles.arms import OVERRIDE_ARMS, joint_fields, unnamed_aloha
from ecot_annotate.profiles.decision import CAMERA, Decision
from ecot_annotate.profiles.describe import VectorLayout, layout_from_doc, layout_from_names
from ecot_annotate.profiles.layout import IMAGE, TEXT, DatasetLayout, Feature
from ecot_annotate.profiles.model import DatasetProfile


class ProfileInferenceError(InputError):
    """The dataset does not say enough; `problems` names each field to set, one per line."""

    def __init__(self, dataset: str, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"cannot infer a profile for '{dataset}'; write one with `ecot-annotate profile "
            f"INPUT --write FILE.toml`, then:\n{lines}"
        )


@dataclass
class Inference:
    profile: DatasetProfile
    notes: dict[str, str] = field(default_factory=dict)  # field -> why it has its value
    problems: list[str] = field(default_factory=list)  # what must be set by hand, one per line
    unset: dict[str, str] = field(default_factory=dict)  # field -> the problem that names it
    decisions: list[Decision] = field(default_factory=list)  # choices made for the user

    def decide(self, subject: str, text: str, override: str = "", setting: str = "") -> None:
        self.decisions.append(Decision(subject, text, override, setting))

    def missing(self, fields: tuple[str, ...], problem: str) -> None:
        self.problems.append(problem)
        for name in fields:
            self.unset.setdefault(name, problem)


def _leaf(key: str) -> str:
    return key.replace(".", "/").rsplit("/", 1)[-1]


def _under_observation(key: str) -> bool:
    return key.startswith("observation/") or key.startswith("observation.")


def _pick(keys: list[str], preferred: tuple[str, ...]) -> str | None:
    by_leaf = {}
    for key in keys:
        by_leaf.setdefault(_leaf(key).lower(), key)
    return next((by_leaf[name.lower()] for name in preferred if name.lower() in by_leaf), None)


def _camera(layout: DatasetLayout, inf: Inference) -> str | None:
    """The third-person RGB camera: the only one, an OXE camera name, the only one not named for a
    wrist or hand, else the first declared (the recorder's first camera). No camera declared, or
    none shipped, means the episodes are read from their state alone."""
    images = [k for k, f in layout.steps.items() if f.kind == IMAGE]
    if not images:
        inf.notes["image_key"] = "the dataset declares no camera"
        inf.decide(
            CAMERA, "none declared: annotated from the state alone, perception skipped", "", CAMERA
        )
        return None
    if layout.no_frames:
        inf.notes["image_key"] = (
            f"no camera: not one video file of {', '.join(layout.unshipped)} ships with the data"
        )
        return None
    images = [k for k in images if k not in layout.unshipped]
    rgb = [k for k in images if layout.steps[k].is_rgb]
    if not rgb:
        inf.notes["image_key"] = f"no RGB uint8 camera among {', '.join(images)}"
        inf.decide(
            CAMERA,
            f"none: no RGB uint8 image among {', '.join(images)}; annotated from the state alone",
            "--camera KEY reads one",
            CAMERA,
        )
        return None
    if len(rgb) == 1:
        inf.notes["image_key"] = "the only RGB uint8 image"
        return rgb[0]
    chosen = _pick(rgb, names.CAMERAS)
    if chosen:
        inf.notes["image_key"] = f"third-person camera name; other cameras: {_others(rgb, chosen)}"
        return chosen
    front = [k for k in rgb if not any(w in _leaf(k).lower() for w in names.SIDE_CAMERAS)]
    if len(front) == 1:
        inf.notes["image_key"] = f"the only non-wrist RGB camera; others: {_others(rgb, front[0])}"
        return front[0]
    candidates = front or rgb
    chosen = candidates[0]
    inf.notes["image_key"] = (
        f"the first declared of {len(candidates)} cameras none of which a name places; "
        f"others: {_others(rgb, chosen)}"
    )
    inf.decide(
        CAMERA,
        f"{chosen}, the first declared of {', '.join(candidates)} (no name says which is the "
        "third-person view)",
        f"--camera {_others(candidates, chosen).split(', ')[0]} takes another",
        CAMERA,
    )
    return chosen


def _others(keys: list[str], chosen: str) -> str:
    return ", ".join(k for k in keys if k != chosen) or "none"


def _state_candidates(layout: DatasetLayout) -> list[str]:
    def usable(key: str, f: Feature) -> bool:
        leaf = key.lower()
        return (
            f.kind not in (IMAGE, TEXT)
            and (_under_observation(key) or (layout.conventions.bare_keys and key == "state"))
            and len(f.shape) <= 1
            and "embedding" not in leaf
            and "instruction" not in leaf
            and "depth" not in leaf
        )

    return [k for k, f in layout.steps.items() if usable(k, f)]


def _vector_layout(feature: Feature) -> VectorLayout | None:
    if feature.names:
        found = layout_from_names(list(feature.names))
        if found:
            return found
    return layout_from_doc(feature.doc, feature.width)


def _gripper_feature(layout: DatasetLayout, candidates: list[str], state: str) -> str | None:
    grippers = [
        k
        for k in candidates
        if k != state and "gripper" in _leaf(k).lower() and layout.steps[k].width == 1
    ]
    return grippers[0] if len(grippers) == 1 else None


def _actions(layout: DatasetLayout, inf: Inference) -> tuple[str, ...]:
    if "action" in layout.steps:
        return ("action",)
    if layout.conventions.bare_keys and "actions" in layout.steps:
        inf.notes["action_keys"] = "LeRobot's action under the name 'actions'"
        return ("actions",)
    parts = [k for k in layout.steps if k.startswith("action/") or k.startswith("action.")]
    known = [k for name in names.ACTION_PARTS for k in parts if _leaf(k) == name]
    whole = [k for k in parts if _leaf(k) in names.WHOLE_ACTIONS]
    if whole and not known:
        inf.notes["action_keys"] = (
            f"the relative world-frame action; others: {_others(parts, whole[0])}"
        )
        return (whole[0],)
    if known:
        inf.notes["action_keys"] = "the action dict's motion parts, in OXE order"
        return tuple(known)
    numeric = sorted(
        k
        for k in parts
        if layout.steps[k].kind not in (IMAGE, TEXT) and "terminate" not in _leaf(k)
    )
    if numeric:
        inf.notes["action_keys"] = "every numeric part of the action dict, sorted by name"
        return tuple(numeric)
    inf.missing(("action_keys",), "set action_keys; the dataset has no 'action' feature")
    return ()


def _action_motion(
    layout: DatasetLayout, actions: tuple[str, ...]
) -> tuple[str, VectorLayout] | None:
    """(motion_from, layout) read from the action when the state holds no end-effector pose."""
    leaves = [_leaf(k) for k in actions]
    if "world_vector" in leaves:
        offsets, at = {}, 0
        for key, leaf in zip(actions, leaves, strict=True):
            offsets[leaf] = at
            at += layout.steps[key].width
        xyz = tuple(range(offsets["world_vector"], offsets["world_vector"] + 3))
        rot = offsets.get("rotation_delta")
        found = VectorLayout(
            xyz,
            "euler" if rot is not None else "none",
            tuple(range(rot, rot + 3)) if rot is not None else (),
            evidence="the action's world_vector and rotation_delta",
        )
        return "action_deltas", found
    if len(actions) == 1:
        feature = layout.steps[actions[0]]
        found = _vector_layout(feature)
        if found and found.xyz:
            text = feature.doc.lower()
            deltas = any(w in text for w in ("delta", "relative", "velocit", "displacement"))
            return ("action_deltas" if deltas else "action_pose"), found
    return None


def _instruction(layout: DatasetLayout, inf: Inference) -> str | None:
    if layout.conventions.task_table:
        inf.notes["instruction_key"] = "each episode's task is kept in the task table"
        return None
    texts = [k for k, f in layout.steps.items() if f.kind == TEXT and "structured" not in k]
    chosen = _pick(texts, names.INSTRUCTIONS)
    if chosen:
        return chosen
    episode = [k for k, f in layout.episode.items() if f.kind == TEXT]
    chosen = _pick(episode, names.INSTRUCTIONS)
    if chosen:
        return chosen
    codes = [k for k, f in layout.steps.items() if "instruction" in k and f.dtype.startswith("int")]
    if codes:
        inf.notes["instruction_key"] = "stored as Unicode code points, 0-padded"
        return codes[0]
    inf.notes["instruction_key"] = "the dataset has no instruction feature"
    return None


def _state(layout: DatasetLayout, inf: Inference, actions: tuple[str, ...]) -> dict:
    """Profile fields for the state, the end-effector track and the gripper."""
    candidates = _state_candidates(layout)
    state = candidates[0] if len(candidates) == 1 else _pick(candidates, names.STATES)
    if not candidates:
        inf.notes["state_keys"] = "the dataset has no proprioceptive state"
        return {"state_keys": (), **_from_action(layout, inf, actions, None)}
    if state is None:
        inf.missing(("state_keys",), f"set state_keys; candidates: {', '.join(candidates)}")
        return {}
    feature = layout.steps[state]
    found = _vector_layout(feature)
    if found is None and unnamed_aloha(layout.robot_type, feature.width):
        feature = replace(feature, names=tuple(f"motor_{i}" for i in range(feature.width)))
        return {"state_keys": (state,), **_joints(layout, inf, feature)}
    fields: dict = {"state_keys": (state,)}
    gripper_key = None
    if found is None or (not found.xyz and not found.joints_only):
        return {**fields, **_undocumented(layout, inf, state, actions)}
    gripper = found.gripper
    if gripper is None:
        gripper_key = _gripper_feature(layout, candidates, state)
        if gripper_key:
            fields["state_keys"] = (state, gripper_key)
            gripper = feature.width
    if gripper is not None:
        fields.update(gripper_from="state", gripper_index=gripper)
        closed = "closed" in _leaf(gripper_key or "").lower()
        fields["gripper_open_is_high"] = not closed
        inf.notes["gripper_index"] = f"from {gripper_key or found.evidence}"
    else:
        fields.update(gripper_from="none", gripper_index=None)
        inf.notes["gripper_from"] = "the state documents no gripper value: no gripper primitives"
    if found.xyz:
        fields.update(
            motion_from="state",
            xyz_indices=found.xyz,
            rotation=found.rotation,
            rotation_indices=found.rotation_indices,
            quaternion_order=found.quaternion_order,
        )
        inf.notes["xyz_indices"] = f"from {found.evidence}"
        return fields
    inf.notes["state_keys"] = f"joint values only ({found.evidence})"
    if _action_motion(layout, actions) is not None:
        return {**fields, **_from_action(layout, inf, actions, fields)}
    if feature.names:
        return {**fields, **_joints(layout, inf, feature)}
    return {**fields, **_undocumented(layout, inf, state, actions)}


def _from_action(layout: DatasetLayout, inf: Inference, actions, fields) -> dict:
    motion = _action_motion(layout, actions)
    if motion is None:
        inf.missing(
            ("motion_from", "xyz_indices", "rotation_indices"),
            "set motion_from ('action_deltas' or 'action_pose') with xyz_indices and "
            "rotation_indices into the action: the state holds no end-effector pose",
        )
        return {}
    source, found = motion
    inf.notes["motion_from"] = f"the state has no end-effector pose; read from {found.evidence}"
    out = dict(
        motion_from=source,
        xyz_indices=found.xyz,
        rotation=found.rotation,
        rotation_indices=found.rotation_indices,
    )
    if fields is None or fields.get("gripper_from") == "none":
        out.update(gripper_from="none", gripper_index=None)
        offset = 0
        for key in actions:
            if _leaf(key) in names.GRIPPER_ACTIONS and layout.steps[key].width == 1:
                out.update(
                    gripper_from="action",
                    gripper_index=offset,
                    gripper_open_is_high=names.GRIPPER_ACTIONS[_leaf(key)],
                )
                inf.notes["gripper_from"] = f"the state has no gripper value; the command {key}"
            offset += layout.steps[key].width
    return out


def _undocumented(
    layout: DatasetLayout, inf: Inference, key: str, actions: tuple[str, ...]
) -> dict:
    """A state whose layout the dataset does not document: the end-effector track from the action
    where the action documents one, a planar position for two values, else the joints of arms no
    model knows (move/stop, and open/close where a gripper is found)."""
    feature = layout.steps[key]
    said = f"{feature.width} values in no layout the dataset documents"
    motion = _action_motion(layout, actions)
    if motion is not None:
        inf.decide(
            key,
            f"{said}: the end-effector track is read from {motion[1].evidence} ({motion[0]})",
            "set motion_from, xyz_indices and rotation_indices in a profile to read the state",
        )
        return _from_action(layout, inf, actions, None)
    if feature.width == 2:
        inf.notes["xyz_indices"] = "a 2-value state: the planar position x, y"
        inf.decide(
            key,
            f"{said}, read as a planar position x, y: planar moves (no height, rotation or "
            "gripper)",
            "set xyz_indices (and motion_from) in a profile to read them otherwise",
        )
        return dict(
            motion_from="state",
            xyz_indices=(0, 1),
            rotation="none",
            rotation_indices=(),
            gripper_from="none",
            gripper_index=None,
        )
    named = feature.names if len(feature.names) == feature.width else ()
    shown = f" ({named[0]} ... {named[-1]})" if named else ""
    inf.decide(
        key,
        f"{said}{shown}: read as the joints of arms no model knows (move/stop, open/close where "
        "a gripper is found)",
        f"for full moves {OVERRIDE_ARMS} with each arm's joint_indices and kinematics",
    )
    names_ = named or tuple(f"value_{i}" for i in range(feature.width))
    return _joints(layout, inf, replace(feature, names=names_))


def _joints(layout: DatasetLayout, inf: Inference, feature: Feature) -> dict:
    fields, found = joint_fields(
        feature.names, layout.robot_type, feature.low, feature.high, feature.groups
    )
    inf.notes.update(found.notes)
    inf.notes["motion_from"] = "the state holds joint positions: kinematics per arm"
    inf.decisions += found.decisions
    return fields


def _action_grippers(
    layout: DatasetLayout, inf: Inference, fields: dict, actions: tuple[str, ...]
) -> tuple:
    """Arms whose gripper is only in the action (a Dobot CR5 keeps it as action[6], a binary
    command): `gripper_action_index`, found by a gripper name the state lacks, or, for one arm,
    as the action's one value beyond the state's."""
    arms = fields["arms"]
    state = layout.steps.get((fields.get("state_keys") or ("",))[0])
    action = layout.steps.get(actions[0]) if len(actions) == 1 else None
    if state is None or action is None or all(a.gripper_index is not None for a in arms):
        return arms
    named = [n.lower() for n in action.names] if len(action.names) == action.width else []
    known = {n.lower() for n in state.names}
    grips = [i for i, n in enumerate(named) if "grip" in n and n not in known]
    if not named and len(arms) == 1 and action.width == state.width + 1:
        grips = [action.width - 1]
    found = []
    for arm in arms:
        mine = [i for i in grips if len(arms) == 1 or arm.name in named[i]]
        if arm.gripper_index is None and len(mine) == 1:
            name = named[mine[0]] if named else "its one value beyond the state's"
            inf.decide(
                f"arm {arm.name}",
                f"gripper only in the action: action[{mine[0]}] ({name}), a command that may "
                "lag the grasp; subtasks back-date it to the stop it belongs to",
                f"gripper_action_index in {OVERRIDE_ARMS}",
            )
            arm = replace(arm, gripper_action_index=mine[0])
        found.append(arm)
    return tuple(found)


def infer_profile(layout: DatasetLayout) -> Inference:
    """The profile the dataset's description implies; `problems` lists what it leaves open."""
    inf = Inference(DatasetProfile(name=layout.name))
    inf.decisions += layout.notes
    image = _camera(layout, inf)
    actions = _actions(layout, inf)
    fields = _state(layout, inf, actions)
    if fields.get("arms"):
        fields["arms"] = _action_grippers(layout, inf, fields, actions)
    has = layout.episode
    file_path = "episode_metadata/file_path" if "episode_metadata/file_path" in has else None
    episode_id = "episode_metadata/episode_id" if "episode_metadata/episode_id" in has else None
    truth, conventions = None, layout.conventions
    if conventions.episode_keys:
        inf.notes["file_path_key"] = f"episodes are keyed by {conventions.episode_keys}"
    prefix = conventions.truth_columns
    if prefix and any(key.startswith(prefix + ".") for key in layout.steps):
        truth = prefix
        inf.notes["ground_truth_key"] = f"the data holds {prefix}.* columns"
    inf.profile = replace(
        inf.profile,
        image_key=image,
        action_keys=actions,
        instruction_key=_instruction(layout, inf),
        file_path_key=file_path,
        episode_id_key=episode_id,
        control_hz=layout.fps,
        ground_truth_key=truth,
        **fields,
    )
    return inf


def require(inference: Inference) -> DatasetProfile:
    """The inferred profile, or ProfileInferenceError naming every field left to set."""
    if inference.problems:
        raise ProfileInferenceError(inference.profile.name, inference.problems)
    return inference.profile
