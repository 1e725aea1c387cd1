"""Values read from stored records: text of any bytes, numeric vectors, camera frames.

Shared by the RLDS and LeRobot sources so both treat bad bytes the same way: text never stops a
run (invalid UTF-8 is replaced), and a frame that cannot be read names its step, key and size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ecot_annotate.errors import EpisodeError
from ecot_annotate.frames import Frame
from ecot_annotate.profiles import DatasetProfile

SANE_LIMIT = 1e6  # no state or action of a robot comes near this; corrupted floats often do


def text_of(value: Any, errors: str = "replace") -> str:
    """Text from stored bytes of any encoding: invalid UTF-8 is replaced, never an error.

    Identifiers use errors="backslashreplace" so two different byte strings stay two keys.
    An integer array is read as Unicode code points up to the first 0 (Language Table's layout).
    """
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu":
        points = value.reshape(-1)
        stop = np.flatnonzero(points == 0)
        points = points[: stop[0]] if len(stop) else points
        return "".join(chr(int(c)) for c in points if 0 < int(c) < 0x110000)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).decode("utf-8", errors=errors)
    return str(value)


def jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()] if value.dtype.kind in "SO" else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _column(steps: list[dict[str, Any]], key: str) -> np.ndarray:
    """(T, width) float32 of one key; EpisodeError naming it when its values are not numbers of
    one width (text, or a different length at some step)."""
    values = [s[key] for s in steps]
    first = np.asarray(values[0] if values else 0.0, dtype=object).ravel()
    if any(isinstance(v, str | bytes | np.str_ | np.bytes_) for v in first):
        raise EpisodeError("decode", f"'{key}' holds text, not numbers")
    try:
        return np.asarray(values, dtype=np.float32).reshape(len(steps), -1)
    except (TypeError, ValueError) as exc:
        raise EpisodeError("decode", f"'{key}' cannot be read as numbers: {exc}") from None


def vectors(steps: list[dict[str, Any]], keys: tuple[str, ...]) -> np.ndarray:
    """(T, sum of widths) float32: each key's per-step values flattened and concatenated."""
    parts = [_column(steps, k) for k in keys]
    return np.concatenate(parts, axis=1) if parts else np.zeros((len(steps), 0), dtype=np.float32)


def stored_frame(value: Any) -> Frame:
    """A frame as the record holds it: image bytes as they are, a raw uint8 (H, W, 3) array as
    the array (never encoded to travel; an output that stores images encodes it once)."""
    if isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.ndim == 3:
        return value
    return bytes(value)


def image_sizes(images: list[Frame], key: str | None) -> tuple[int, int]:
    """(width, height) of the first frame, (0, 0) with no camera; EpisodeError naming the step
    of any unreadable frame."""
    import io

    from PIL import Image, UnidentifiedImageError

    if images and isinstance(images[0], np.ndarray):
        return (images[0].shape[1], images[0].shape[0])
    size = (0, 0)
    for t, data in enumerate(images):
        if not data:
            raise EpisodeError("decode", f"step {t}: {key} is empty (0 bytes)")
        try:
            with Image.open(io.BytesIO(data)) as img:
                size = size if t else img.size
        except UnidentifiedImageError:
            reason = "not a recognised image format"
            raise EpisodeError(
                "decode",
                f"step {t}: {key} cannot be read as an image ({len(data)} bytes): {reason}",
            ) from None
        except Exception as exc:  # noqa: BLE001 - a broken frame is this episode's fault
            raise EpisodeError(
                "decode",
                f"step {t}: {key} cannot be read as an image ({len(data)} bytes): "
                f"{type(exc).__name__}: {str(exc)[:200]}",
            ) from exc
    return size


def step_flags(steps: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """RLDS's per-step is_first/is_last/is_terminal as arrays; a step without one counts False."""
    return {
        name: np.asarray([bool(s.get(name, False)) for s in steps])
        for name in ("is_first", "is_last", "is_terminal")
    }


def robot_vectors(
    rows: list[dict[str, Any]], profile: DatasetProfile, key: str
) -> tuple[np.ndarray, np.ndarray]:
    """(state, action) as the profile concatenates them; a NaN, an inf or a value beyond any robot's
    range (|x| > SANE_LIMIT: corrupted bytes read as floats) quarantines the episode with the
    step and field it is in, since every later stage would turn it into nonsense silently."""
    try:
        state, action = vectors(rows, profile.state_keys), vectors(rows, profile.action_keys)
    except EpisodeError as exc:
        raise EpisodeError("decode", f"episode {key}: {exc.reason}") from None
    for name, values, keys in (
        ("state", state, profile.state_keys),
        ("action", action, profile.action_keys),
    ):
        with np.errstate(invalid="ignore"):
            bad = np.argwhere(~(np.abs(values) <= SANE_LIMIT))
        if len(bad):
            step, column = int(bad[0][0]), int(bad[0][1])
            value = float(values[step, column])
            what = "a non-finite value (NaN/inf)" if not np.isfinite(value) else f"{value:.3g}"
            raise EpisodeError(
                "decode",
                f"episode {key}: {name} ({' + '.join(keys)}) value {column} is {what} at step "
                f"{step}, beyond any robot's range (|x| <= {SANE_LIMIT:g}); corrupted data?",
            )
    return state, action
