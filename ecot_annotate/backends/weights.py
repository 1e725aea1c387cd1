"""Find a model's files before any work starts, and say plainly how to provide them when absent.

A model is named by a local folder or a Hugging Face hub id. A hub id is looked up in the local
cache (and downloaded when the machine may reach the hub); a folder must hold a transformers
`config.json` whose `model_type` is one the backend can run.
"""

from __future__ import annotations

import json
from pathlib import Path

from ecot_annotate.backends.hub import download_command, why_not_downloaded
from ecot_annotate.errors import InputError, MissingWeightsError


def _looks_like_path(model: str) -> bool:
    """Hub ids are 'name' or 'org/name'; anything else is meant as a folder."""
    return model.startswith(("/", ".", "~")) or model.count("/") > 1


def _cache_dir() -> str:
    from huggingface_hub import constants

    return constants.HF_HUB_CACHE


def config_path(model: str, flag: str) -> Path:
    """The model's config.json on this machine, or MissingWeightsError naming where it looked."""
    folder = Path(model).expanduser()
    if folder.is_dir():
        if not (folder / "config.json").is_file():
            raise InputError(
                f"{folder} ({flag}) holds no config.json: it is not a transformers model folder"
            )
        return folder / "config.json"
    if _looks_like_path(model):
        raise MissingWeightsError(
            f"model folder '{model}' ({flag}) does not exist; pass {flag} PATH to a folder saved with save_pretrained()"
        )
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(model, "config.json"))
    except Exception as exc:  # noqa: BLE001 - offline, unknown id, no network: all mean "not here"
        raise MissingWeightsError(
            f"model '{model}' is not on this machine: not a local folder and not in the Hugging Face cache "
            f"{_cache_dir()}, and {why_not_downloaded(exc)}; download it where there is network "
            f"(`{download_command(model)}`) and copy the cache here, or pass {flag} PATH to a local model folder"
        ) from None


def check_model(model: str, flag: str, model_types: tuple[str, ...], role: str) -> str:
    """Fail early unless `model` is here and is a kind of model `role` can run; return its model_type."""
    path = config_path(model, flag)
    try:
        model_type = json.loads(path.read_text()).get("model_type", "")
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} ({flag}) cannot be read as a transformers config: {exc}") from exc
    if model_type not in model_types:
        raise InputError(
            f"{model} ({flag}) is a '{model_type or 'unknown'}' model, not a {role} (expected model_type {' or '.join(model_types)})"
        )
    return model_type
