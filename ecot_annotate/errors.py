"""Errors the tool raises on purpose: each one carries a message a user can act on."""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator


class EcotError(Exception):
    """Base class: a problem with the user's input or setup, shown without a traceback."""


class InputError(EcotError):
    """The input folder or a record in it is not what the tool can read."""


class ProfileKeyError(InputError):
    """A dataset profile names a key that the dataset does not have."""

    def __init__(self, key: str, profile: str, available: list[str]):
        self.key, self.profile, self.available = key, profile, available
        super().__init__(
            f"key '{key}' (from profile '{profile}') is not in the dataset; "
            f"keys that exist: {', '.join(sorted(available)) or '(none)'}"
        )


def quarantine_record(
    key: str, stage: str, error: str, source: str | None = None
) -> dict[str, str]:
    """One line of the quarantine output: which episode, which stage, why, and where it was read."""
    return {"key": key, "stage": stage, "error": error, "source": source or key}


class EpisodeError(EcotError):
    """One episode cannot be annotated; it goes to quarantine with this reason."""

    def __init__(self, stage: str, reason: str):
        self.stage, self.reason = stage, reason
        super().__init__(f"{stage}: {reason}")

    def record(self, key: str, source: str | None = None) -> dict[str, str]:
        return quarantine_record(key, self.stage, self.reason, source)


class MissingWeightsError(EcotError):
    """A model was asked for but its weights are not on this machine."""


class DiskFullError(EcotError):
    """The device under the output filled up. Committed episodes stay, so a rerun goes on."""

    def __init__(self, path: str):
        super().__init__(
            f"no space left on the device holding {path}; free some and run the same command "
            "again (the episodes committed so far are kept)"
        )


def is_disk_full(exc: BaseException | None) -> bool:
    """ENOSPC raised here, or reported by a Beam worker, which passes on only the message."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if f"[Errno {errno.ENOSPC}]" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@contextlib.contextmanager
def disk_full_as_one_line(path: str) -> Iterator[None]:
    """Turns a full disk anywhere in the body into `DiskFullError(path)`."""
    try:
        yield
    except EcotError:
        raise
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        raise DiskFullError(path) from exc
