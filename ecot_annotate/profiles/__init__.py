"""Dataset profiles: where a dataset keeps its camera, state layout, action and instruction.

Open X-Embodiment keeps one small entry per dataset for the same reason: key names and state
layouts differ. Built-in profiles live as TOML files beside this module; users pass their own
file with ``--profile path/to/profile.toml`` (or ``.json``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import tomllib

from ecot_annotate.errors import InputError

BUILTIN_DIR = Path(__file__).parent


@dataclass(frozen=True)
class DatasetProfile:
    """Key names are '/'-joined paths; step keys are looked up inside `steps`."""

    name: str
    image_key: str = "observation/image_0"
    state_key: str = "observation/state"
    action_key: str = "action"
    instruction_key: str = "language_instruction"  # a step key, or "episode_metadata/..."
    file_path_key: str | None = "episode_metadata/file_path"
    episode_id_key: str | None = "episode_metadata/episode_id"
    xyz_indices: tuple[int, ...] = (0, 1, 2)
    rotation_indices: tuple[int, ...] = (3, 4, 5)
    gripper_index: int = 6
    gripper_open_is_high: bool = True  # Bridge: 1.0 open, 0.0 closed
    ground_truth_key: str | None = None  # generated sample: per-step ground truth for measuring

    def as_dict(self) -> dict:
        return asdict(self)


def _from_mapping(data: dict, origin: str) -> DatasetProfile:
    known = {f.name for f in fields(DatasetProfile)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"profile {origin}: unknown keys {unknown}; known keys: {sorted(known)}")
    if "name" not in data:
        raise InputError(f"profile {origin}: 'name' is required")
    for key in ("xyz_indices", "rotation_indices"):
        if key in data:
            data[key] = tuple(int(i) for i in data[key])
    return DatasetProfile(**data)


def builtin_profiles() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def resolve_profile_name(requested: str, dataset_name: str) -> str:
    """'auto' picks the built-in profile named like the dataset, else Bridge's layout."""
    if requested != "auto":
        return requested
    return dataset_name if dataset_name in builtin_profiles() else "bridge"


def load_profile(name_or_path: str) -> DatasetProfile:
    """A built-in profile by name, or a TOML/JSON profile file by path."""
    path = Path(name_or_path)
    if not path.is_file():
        path = BUILTIN_DIR / f"{name_or_path}.toml"
        if not path.is_file():
            raise InputError(
                f"profile '{name_or_path}' is neither a file nor a built-in profile "
                f"(built-in: {', '.join(builtin_profiles())})"
            )
    text = path.read_text()
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"profile {path}: cannot parse: {exc}") from exc
    return _from_mapping(data, str(path))
