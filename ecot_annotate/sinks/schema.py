"""Build Arrow schemas from the JSON files in schemas/ (the files are the source of truth)."""

from __future__ import annotations

import json
from functools import cache

import pyarrow as pa

from ecot_annotate.resources import resource_path


def arrow_type(spec) -> pa.DataType:
    """'float32' | {'list': T} | {'struct': {name: T}} -> an Arrow type."""
    if isinstance(spec, str):
        return pa.type_for_alias(spec)
    if "list" in spec:
        return pa.list_(arrow_type(spec["list"]))
    if "struct" in spec:
        return pa.struct([pa.field(k, arrow_type(v)) for k, v in spec["struct"].items()])
    raise ValueError(f"unknown type spec {spec!r}")


@cache
def load_schema(name: str = "annotated_step") -> pa.Schema:
    spec = json.loads(resource_path("schemas", f"{name}.json").read_text())
    fields = [
        pa.field(f["name"], arrow_type(f["type"]), nullable=f.get("nullable", True))
        for f in spec["fields"]
    ]
    return pa.schema(fields, metadata={"ecot_annotate_schema": f"{name}/v{spec['version']}"})


REFERENCES = "video_reference"  # the columns of a frame kept as a reference into its video


@cache
def step_schema(references: bool = False) -> pa.Schema:
    """The Parquet schema of an annotated step; with the video reference columns where the
    frames are kept as references into the input's video."""
    base = load_schema()
    if not references:
        return base
    extra = load_schema(REFERENCES)
    return pa.schema([*base, *extra], metadata=base.metadata)
