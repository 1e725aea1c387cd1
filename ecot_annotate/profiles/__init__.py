"""Dataset profiles: where a dataset keeps its camera, state layout, action and instruction.

Open X-Embodiment keeps one small entry per dataset for the same reason: key names and state
layouts differ. Built-in profiles live as TOML files beside this module, each named exactly as
its dataset's `dataset_info.json` name; users pass their own file with
``--profile path/to/profile.toml`` (or ``.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import tomllib

from ecot_annotate.errors import InputError
from ecot_annotate.profiles.model import DatasetProfile, profile_from_mapping

BUILTIN_DIR = Path(__file__).parent

__all__ = [
    "BUILTIN_DIR",
    "DatasetProfile",
    "builtin_profiles",
    "load_profile",
]


def builtin_profiles() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


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
    return profile_from_mapping(data, str(path))
