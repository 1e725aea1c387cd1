"""Lossless JSON form of an Annotation, so a committed episode can be reloaded bit for bit.

A resumed run rebuilds every output from these files; numpy arrays keep their dtype and shape and
floats round-trip exactly, so a resumed run's outputs equal an uninterrupted run's.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np

from ecot_annotate.episode import SINGLE_ARM, Annotation, Box, Segment, StepReasoning

_TYPES = {cls.__name__: cls for cls in (Box, StepReasoning, Segment, Annotation)}
FORMAT_VERSION = 2
# Version 1 kept the first arm's primitives apart (`primitives`) and every arm's only for two
# (`arm_primitives`); version 2 keeps every arm's in `arm_primitives`, a single one as `arm`.
READABLE_VERSIONS = (1, FORMAT_VERSION)


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        body = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__type__": type(value).__name__, **body}
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        return {"__ndarray__": array.tolist(), "dtype": array.dtype.str, "shape": list(array.shape)}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        array = np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"])).reshape(
            value["shape"]
        )
        return array[()] if array.ndim == 0 else array
    if "__type__" in value:
        cls = _TYPES[value["__type__"]]
        kwargs = {k: _decode(v) for k, v in value.items() if k != "__type__"}
        if "primitives" in kwargs:  # version 1
            first = kwargs.pop("primitives")
            kwargs["arm_primitives"] = kwargs.get("arm_primitives") or {SINGLE_ARM: first}
        # Annotations made before the subtasks stage: their subtasks are in their reasoning.
        kwargs.pop("split_at_pauses", None)
        for f in dataclasses.fields(cls):
            if str(f.type).startswith("tuple") and isinstance(kwargs.get(f.name), list):
                kwargs[f.name] = tuple(kwargs[f.name])
        try:
            return cls(**kwargs)
        except TypeError as exc:  # fields another version of the tool wrote, or lacks
            raise ValueError(f"committed {cls.__name__} of another shape: {exc}") from exc
    return {k: _decode(v) for k, v in value.items()}


def annotation_to_json(key: str, annotation: Annotation) -> str:
    """One JSON document naming the episode it belongs to."""
    return json.dumps(
        {"version": FORMAT_VERSION, "key": key, "annotation": _encode(annotation)}, sort_keys=True
    )


def annotation_from_json(text: str) -> tuple[str, Annotation]:
    data = json.loads(text)
    if data.get("version") not in READABLE_VERSIONS:
        raise ValueError(
            f"committed annotation has format version {data.get('version')}, this tool reads "
            f"{' and '.join(map(str, READABLE_VERSIONS))}"
        )
    return data["key"], _decode(data["annotation"])
