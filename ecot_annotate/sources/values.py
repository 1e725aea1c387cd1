"""Values read from stored records: text of any bytes, numeric vectors, camera frames.

Shared by the RLDS and LeRobot sources so both treat bad bytes the same way: text never stops a
run (invalid UTF-8 is replaced), and a frame that cannot be read names its step, key and size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ecot_annotate.errors import EpisodeError
from ecot_annotate.profiles import DatasetProfile


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


def vectors(steps: list[dict[str, Any]], keys: tuple[str, ...]) -> np.ndarray:
    """(T, sum of widths) float32: each key's per-step values flattened and concatenated."""
    n = len(steps)
    parts = [np.asarray([s[k] for s in steps], dtype=np.float32).reshape(n, -1) for k in keys]
    return np.concatenate(parts, axis=1) if parts else np.zeros((n, 0), dtype=np.float32)


def frame_bytes(value: Any) -> bytes:
    """An encoded frame: stored image bytes as they are, a raw uint8 (H, W, 3) array as PNG."""
    if isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.ndim == 3:
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(value).save(buffer, format="PNG")
        return buffer.getvalue()
    return bytes(value)


def image_sizes(images: list[bytes], key: str) -> tuple[int, int]:
    """(width, height) of the first frame; EpisodeError naming the step of any unreadable one."""
    import io

    from PIL import Image, UnidentifiedImageError

    size = None
    for t, data in enumerate(images):
        if not data:
            raise EpisodeError("decode", f"step {t}: {key} is empty (0 bytes)")
        try:
            with Image.open(io.BytesIO(data)) as img:
                size = size or img.size
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
    """(state, action) as the profile concatenates them; a NaN or inf quarantines the episode
    with the step it is in, since every later stage would turn it into nonsense silently."""
    state, action = vectors(rows, profile.state_keys), vectors(rows, profile.action_keys)
    for name, values in (("state", state), ("action", action)):
        bad = np.argwhere(~np.isfinite(values))
        if len(bad):
            raise EpisodeError(
                "decode",
                f"episode {key}: {name} has a non-finite value (NaN/inf) at step {int(bad[0][0])}",
            )
    return state, action
