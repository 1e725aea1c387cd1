"""How a run's profile was chosen, as data: where it came from, what was overridden, and each
decision taken on the dataset's behalf with the setting that overrides it.

The summary block prints these; the run records `ProfileRef.text`. Nothing downstream parses a
display sentence to learn how a profile was chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from ecot_annotate.profiles.decision import Decision
from ecot_annotate.profiles.layout import RLDS, Conventions


class Origin(Enum):
    """Where a run's profile came from."""

    BUILTIN = "built-in profile for this dataset"
    FILE = "profile file"
    INFERRED = "inferred from the dataset"
    RECORDED = "recorded by the run"


@dataclass(frozen=True)
class ProfileRef:
    """What a run records as its profile's name. A built-in name stands for its content; a file
    or an inferred profile is named with a digest of its content, so an edited file is another
    config. `text` is the form run.json holds; `parse` reads it back (runs from before the
    profile itself was recorded hold only this)."""

    origin: Origin
    name: str  # the built-in name, the file, or the dataset's name (inferred)
    digest: str | None = None

    @property
    def text(self) -> str:
        if self.origin is Origin.INFERRED and self.digest:
            return f"inferred:{self.digest}"
        if self.origin is Origin.FILE and self.digest:
            return f"{self.name}#{self.digest}"
        return self.name

    @classmethod
    def parse(cls, text: str) -> ProfileRef | None:
        """The reference a run recorded, when it names a profile by content; None for a name."""
        if text.startswith("inferred:"):
            return cls(Origin.INFERRED, "auto", text.removeprefix("inferred:"))
        if "#" in text:
            path, _, digest = text.rpartition("#")
            return cls(Origin.FILE, path, digest)
        return None


@dataclass(frozen=True)
class ProfileChoice:
    """How a run's profile was chosen. `describe()` is the sentence the summary prints."""

    origin: Origin
    source: str = ""  # the file (FILE) or the recorded reference (RECORDED)
    overrides: tuple[str, ...] = ()  # "camera from --camera", "joint units from --joint-units"
    decisions: tuple[Decision, ...] = ()
    conventions: Conventions = RLDS  # the dataset's habits the summary follows

    def describe(self) -> str:
        if self.origin is Origin.FILE:
            base = f"profile {self.source}"
        elif self.origin is Origin.RECORDED:
            base = f"recorded by the run as {self.source}"
        else:
            base = self.origin.value
        return ", ".join((base, *self.overrides))

    def with_override(self, text: str) -> ProfileChoice:
        return replace(self, overrides=(*self.overrides, text))
