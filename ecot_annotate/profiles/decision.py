"""A choice made for the user where the data left it open, said in one line with its override."""

from __future__ import annotations

from dataclasses import dataclass

CAMERA = "camera"  # the subject of decisions on which camera a run reads


@dataclass(frozen=True)
class Decision:
    """One choice made for the user where the data left it open: what was decided (with the
    evidence) and the setting that overrides it ('' where nothing needs overriding)."""

    subject: str  # "camera", "arm left", "observation.state", "fps", ...
    text: str
    override: str = ""

    def line(self) -> str:
        said = f"{self.subject}: {self.text}"
        return f"{said}; {self.override}" if self.override else said
