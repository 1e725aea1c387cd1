"""A choice made for the user where the data left it open, said in one line with its override."""

from __future__ import annotations

from dataclasses import dataclass

# The settings a decision stands in for; an option that sets one drops the decisions on it.
CAMERA, KINEMATICS, JOINT_UNITS = "camera", "kinematics", "joint_units"


@dataclass(frozen=True)
class Decision:
    """One choice made for the user where the data left it open: what was decided (with the
    evidence) and the setting that overrides it ('' where nothing needs overriding)."""

    subject: str  # "camera", "arm left", "observation.state", "fps", ...
    text: str
    override: str = ""
    setting: str = ""  # CAMERA, KINEMATICS, JOINT_UNITS: the setting it stands in for, if any

    def line(self) -> str:
        said = f"{self.subject}: {self.text}"
        return f"{said}; {self.override}" if self.override else said
