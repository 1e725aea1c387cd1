"""Pick the source named in the config (`rlds` or `lerobot`) and check the profile against it."""

from __future__ import annotations

from typing import Any

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.errors import InputError
from ecot_annotate.profiles import DatasetProfile

SOURCES = ("rlds", "lerobot")


def open_source(config: AnnotateConfig) -> Any:
    """An opened RldsDataset or LeRobotFolder, or a clear InputError."""
    if config.source == "rlds":
        from ecot_annotate.sources.rlds import open_rlds

        return open_rlds(config.input, config.split)
    if config.source == "lerobot":
        from ecot_annotate.sources.lerobot import open_lerobot

        if "rlds" in config.formats:
            raise InputError(
                "--format rlds copies the source's RLDS records, so it needs an RLDS input (not --source lerobot)"
            )
        return open_lerobot(config.input, config.split)
    raise InputError(f"unknown source '{config.source}'; choose from {', '.join(SOURCES)}")


def check_source_profile(config: AnnotateConfig, dataset: Any, profile: DatasetProfile) -> None:
    if config.source == "lerobot":
        from ecot_annotate.sources.lerobot import check_lerobot_profile

        check_lerobot_profile(dataset, profile)
    else:
        from ecot_annotate.sources.rlds import check_profile

        check_profile(dataset, profile)
