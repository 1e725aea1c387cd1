"""Find the project's data files (schemas/, prompts/) from a source checkout or an install."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """`schemas` or `prompts`: beside the package in a checkout, inside it when installed."""
    for candidate in (_PACKAGE.parent / name, _PACKAGE / "_data" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cannot find the '{name}' folder of ecot-annotate near {_PACKAGE}")


def resource_path(folder: str, filename: str) -> Path:
    return resource_dir(folder) / filename
