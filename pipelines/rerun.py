"""What a run does with an OUT that already holds a run: extend it, or refuse in one line.

Every output of one OUT describes the same episodes. A rerun with the same content settings
extends the earlier run: it writes the formats of both runs over the larger episode limit, reusing
the committed annotations (nothing is annotated twice), so no format is left describing another set
of episodes and summary.json, written by every run, describes what is on disk. Extending is more
useful than refusing: adding a format or growing a run is the common reason to rerun into the same
folder. Other content settings are refused, naming the settings that differ; --overwrite starts
the folder afresh (committed annotations of the same settings are kept).
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from typing import Any

from ecot_annotate import fs
from ecot_annotate.config import AnnotateConfig
from ecot_annotate.content import content_hash, content_settings
from ecot_annotate.errors import EcotError
from ecot_annotate.store.manifest import Manifest
from pipelines.formats import FORMATS


def previous_summary(out: str) -> dict | None:
    path = f"{out}/summary.json"
    return json.loads(fs.read_text(path)) if fs.exists(path) else None


def _flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        return {k: v for key, sub in tree.items() for k, v in _flat(sub, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): tree}


def differing_settings(before: dict, now: dict) -> list[str]:
    """`name (before -> now)` for every content setting that differs."""
    a, b = _flat(before), _flat(now)
    return [
        f"{k} ({a.get(k, '(unset)')} -> {b.get(k, '(unset)')})"
        for k in sorted(a.keys() | b.keys())
        if a.get(k) != b.get(k)
    ]


def _refusal(out: str, info: dict, previous_hash: str, config: AnnotateConfig) -> EcotError:
    differ = (
        differing_settings(info["content"], content_settings(config)) if "content" in info else []
    )
    what = ", ".join(differ) if differ else f"config {previous_hash}, now {content_hash(config)}"
    return EcotError(
        f"{out} holds a run made with other settings: {what}; choose another --out or pass --overwrite"
    )


def extend(config: AnnotateConfig, earlier: dict) -> tuple[AnnotateConfig, str | None]:
    """The config that covers both runs: their formats, the larger limit; and a line saying so."""
    known = set(FORMATS.names())
    added = [f for f in earlier.get("formats", ()) if f in known and f not in config.formats]
    before = earlier.get("limit")
    limit = None if config.limit is None or before is None else max(config.limit, before)
    if not added and limit == config.limit:
        return config, None
    extended = replace(config, formats=(*config.formats, *added), limit=limit)
    episodes = "all episodes" if limit is None else f"the first {limit} episodes"
    note = (
        f"extending the run in {config.out}: formats {', '.join(extended.formats)} over {episodes} "
        f"(an earlier run wrote them; --overwrite starts afresh)"
    )
    return extended, note


def prepare_output(config: AnnotateConfig) -> tuple[AnnotateConfig, str | None]:
    """Settle what this run writes into OUT; return the config it runs with and a note, if any."""
    manifest = Manifest(config.out)
    info = manifest.run_info() or {}
    previous_hash = (info or previous_summary(config.out) or {}).get("config_hash")
    note = None
    if previous_hash and previous_hash != content_hash(config):
        if not config.overwrite:
            raise _refusal(config.out, info, previous_hash, config)
        manifest.clear()
    elif previous_hash and not config.overwrite:
        config, note = extend(config, info.get("config", {}))
    if config.overwrite:
        for name in FORMATS.names():
            fs.delete_matching(f"{config.out}/{FORMATS.get(name).folder}/**")
        fs.delete_matching(f"{config.out}/quarantine/*")
        fs.delete_matching(f"{config.out}/summary.json")
    manifest.start(content_hash(config), asdict(config), content_settings(config))
    return config, note
