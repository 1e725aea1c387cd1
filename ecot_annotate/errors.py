"""Errors the tool raises on purpose: each one carries a message a user can act on."""


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
