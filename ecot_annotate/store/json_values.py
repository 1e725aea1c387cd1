"""JSON values as the corrections format allows them: one-line text within a bound, whole
numbers of at least 0, box corners, one of a few names, an object with exactly the keys a kind has."""

from __future__ import annotations

import math
import re
from typing import Any

TEXT_LIMIT = 4000  # characters of a value, a reason or a subtask
NAME_LIMIT = 200  # characters of a label or a reviewer's name
COORDINATE_LIMIT = 100_000  # pixels
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Unicode's control characters (Cc) but tab, and its line and paragraph separators
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


class LineError(ValueError):
    """What is wrong with a line, in words a person who wrote it can act on."""


def text(value: Any, name: str, limit: int = TEXT_LIMIT, empty: bool = True) -> str:
    """`value` as one line of valid Unicode text of at most `limit` characters."""
    if not isinstance(value, str):
        raise LineError(f"'{name}' must be text")
    if len(value) > limit:
        raise LineError(f"'{name}' is {len(value)} characters long; at most {limit} are allowed")
    if not empty and not value.strip():
        raise LineError(f"'{name}' must not be empty")
    if _SURROGATE.search(value):
        raise LineError(f"'{name}' is not valid Unicode (it holds a lone surrogate)")
    if _CONTROL.search(value):
        raise LineError(f"'{name}' must be one line of text without control characters")
    return value


def count(value: Any, name: str) -> int:
    """`value` as a whole number of at least 0 (JSON true and false are not numbers)."""
    if type(value) is not int or value < 0:
        raise LineError(f"'{name}' must be a whole number of at least 0")
    return value


def corners(value: Any) -> tuple[float, float, float, float]:
    """`value` as a box's corners [x0, y0, x1, y1] in pixels: finite, at least 0, x0 < x1, y0 < y1."""
    if not (isinstance(value, list) and len(value) == 4):
        raise LineError("'xyxy' must be [x0, y0, x1, y1]")
    for v in value:
        if type(v) not in (int, float) or not math.isfinite(v) or not 0 <= v <= COORDINATE_LIMIT:
            raise LineError(f"'xyxy' holds pixel coordinates from 0 to {COORDINATE_LIMIT}")
    x0, y0, x1, y1 = (float(v) for v in value)
    if not (x0 < x1 and y0 < y1):
        raise LineError("'xyxy': the first corner must lie above and left of the second")
    return x0, y0, x1, y1


def one_of(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed or not isinstance(value, str):
        raise LineError(f"{name} must be one of {', '.join(allowed)}")
    return value


def keys(
    obj: dict[str, Any], name: str, required: set[str], optional: frozenset[str] = frozenset()
) -> None:
    missing = sorted(required - obj.keys())
    if missing:
        raise LineError(f"{name} needs {', '.join(repr(k) for k in missing)}")
    unknown = sorted(obj.keys() - required - optional)
    if unknown:
        raise LineError(f"{name} has no field {', '.join(repr(k) for k in unknown)}")


def change_id(value: Any) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise LineError("'id' must be 1-64 letters, digits, '-' or '_'")
    return value
