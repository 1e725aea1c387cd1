"""Profiles for LeRobot datasets: RLDS-style keys resolved to LeRobot's column names,
checked against meta/info.json and the data files' columns, or inferred from them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import pyarrow.parquet as pq

from ecot_annotate.errors import InputError
from ecot_annotate.profiles import DatasetProfile
from ecot_annotate.profiles.decision import Decision
from ecot_annotate.profiles.layout import DatasetLayout, ValueGroup, lerobot_layout
from ecot_annotate.profiles.validate import check_profile_fits

# Names datasets give the state and the action besides lerobot's own (older ports, hand-written).
ALIASES = {
    "observation.state": ("state", "observation.states"),
    "state": ("observation.state",),
    "action": ("actions",),
    "actions": ("action",),
}


class LeRobotFolder(Protocol):
    """What profiles need of an opened LeRobot folder (sources.lerobot.LeRobotFolder)."""

    root: str
    name: str
    fps: float
    features: dict
    unshipped: tuple[str, ...]
    robot_type: str | None
    notes: tuple[Decision, ...]


def resolve_key(key: str, features: dict, image: bool = False) -> str:
    """A profile key as this dataset names it: as is, dotted, under observation.images, or under
    another common name for the state (`state`) and the action (`actions`)."""
    dotted = key.replace("/", ".")
    candidates = [key, dotted, *ALIASES.get(dotted, ())]
    if image:
        candidates.append(f"observation.images.{dotted.rsplit('.', 1)[-1]}")
    for candidate in candidates:
        if candidate in features:
            return candidate
    raise KeyError(key)


def _stats(root: str) -> dict:
    """meta/stats.json, whose min/max say a joint's units; {} where it is absent or unreadable."""
    path = Path(root) / "meta" / "stats.json"
    try:
        stats = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return stats if isinstance(stats, dict) else {}


def _groups(root: str) -> dict[str, tuple[ValueGroup, ...]]:
    """Named spans of the state and the action from GR00T's meta/modality.json (`left_arm`
    0:7, `right_hand` 29:35, ...), by the feature they index; {} where it is absent or unreadable."""
    try:
        data = json.loads((Path(root) / "meta" / "modality.json").read_text())
    except (OSError, ValueError):
        return {}
    found: dict[str, list[ValueGroup]] = {}
    for section, default in (("state", "observation.state"), ("action", "action")):
        entries = data.get(section) if isinstance(data, dict) else None
        for name, spec in (entries or {}).items() if isinstance(entries, dict) else ():
            start, end = (spec.get("start"), spec.get("end")) if isinstance(spec, dict) else (0, 0)
            if isinstance(start, int) and isinstance(end, int) and 0 <= start < end:
                key = spec.get("original_key") or default
                found.setdefault(str(key), []).append(ValueGroup(str(name), start, end))
    return {key: tuple(groups) for key, groups in found.items()}


def dataset_layout(folder: LeRobotFolder) -> DatasetLayout:
    """What meta/info.json declares (as the files hold it), for validating and inferring
    profiles."""
    return lerobot_layout(
        folder.name,
        folder.features,
        folder.fps,
        folder.unshipped,
        folder.robot_type,
        _stats(folder.root),
        _groups(folder.root),
        folder.notes,
    )


def resolved_profile(folder: LeRobotFolder, profile: DatasetProfile) -> DatasetProfile:
    """The profile with RLDS-style keys renamed to this dataset's columns where they resolve."""

    def name(key: str, image: bool = False) -> str:
        try:
            return resolve_key(key, folder.features, image)
        except KeyError:
            return key

    return replace(
        profile,
        image_key=None if profile.image_key is None else name(profile.image_key, image=True),
        state_keys=tuple(name(k) for k in profile.state_keys),
        action_keys=tuple(name(k) for k in profile.action_keys),
        file_path_key=None,
        episode_id_key=None,
    )


def check_lerobot_profile(folder: LeRobotFolder, profile: DatasetProfile) -> None:
    """Fail before any work, naming every way the profile does not fit the dataset."""
    check_profile_fits(resolved_profile(folder, profile), dataset_layout(folder))


def check_columns(folder: LeRobotFolder, profile: DatasetProfile, paths: list[str]) -> None:
    """Fail before any work when a data file lacks a column the profile reads, naming both. A file
    whose footer cannot be read is left to its episodes, which are quarantined naming it."""
    p = resolved_profile(folder, profile)
    wanted = {k: "state_keys" for k in p.state_keys} | {k: "action_keys" for k in p.action_keys}
    if p.image_key is not None and folder.features.get(p.image_key, {}).get("dtype") == "image":
        wanted[p.image_key] = "image_key"
    for path in paths:
        try:
            names = set(pq.read_schema(path).names)
        except Exception:  # noqa: BLE001, S112 - its episodes are quarantined with the reason
            continue
        missing = [k for k in wanted if k not in names]
        if missing:
            fields = ", ".join(f"'{k}' ({wanted[k]})" for k in missing)
            raise InputError(f"{path} has no column {fields}, which info.json declares")
