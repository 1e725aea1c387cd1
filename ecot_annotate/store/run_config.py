"""The settings a finished run recorded in `OUT/manifest/run.json`, as the config that made it.

Later commands (export, score, review) work from this config, the resolved profile included,
so they see the run exactly as it was made and never resolve anything again.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.errors import InputError
from ecot_annotate.profiles.model import profile_from_mapping
from ecot_annotate.store.manifest import MANIFEST, Manifest


def config_from_dict(data: dict[str, Any]) -> AnnotateConfig:
    """Rebuild the AnnotateConfig a run recorded (nested settings, tuples and its profile)."""
    blank = AnnotateConfig(input="", out="")
    values = {}
    for f in dataclasses.fields(AnnotateConfig):
        if f.name not in data:
            continue
        default, value = getattr(blank, f.name), data[f.name]
        if f.name == "dataset_profile" and isinstance(value, dict):
            value = profile_from_mapping(value, f"the run's {MANIFEST}/run.json")
        elif dataclasses.is_dataclass(default) and isinstance(value, dict):
            known = {g.name for g in dataclasses.fields(default)}
            nested = {
                k: tuple(v) if isinstance(v, list) else v for k, v in value.items() if k in known
            }
            value = type(default)(**nested)
        elif isinstance(default, tuple) and isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return AnnotateConfig(**values)


def recorded_config(run_dir: str) -> AnnotateConfig:
    """The config of the run in `run_dir`; one line when the folder holds no run."""
    info = Manifest(run_dir).run_info()
    if info is None:
        raise InputError(
            f"{run_dir} holds no run manifest ({MANIFEST}/run.json); run `ecot-annotate annotate` first"
        )
    return config_from_dict(info["config"])


def profiled_config(run_dir: str) -> AnnotateConfig:
    """The run's config with its profile. A run made before runs recorded their profile has
    only its reference: that is resolved now, once, and checked against the recorded digest."""
    from ecot_annotate.run_profile import with_profile
    from ecot_annotate.sources import SOURCES

    config = recorded_config(run_dir)
    if config.dataset_profile is None:
        dataset = SOURCES.get(config.source).open(config.input, config.split)
        config, _ = with_profile(config, dataset)
    return config
