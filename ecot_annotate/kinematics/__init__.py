"""Forward kinematics for joint-space datasets: built-in arm models, picking one, joint units."""

from ecot_annotate.kinematics.catalog import BUILTIN_ARMS, ArmModelInfo, pick_arm
from ecot_annotate.kinematics.chain import KinematicModel
from ecot_annotate.kinematics.units import JOINT_UNITS, from_radians, guess_units, to_radians

__all__ = [
    "BUILTIN_ARMS",
    "JOINT_UNITS",
    "ArmModelInfo",
    "KinematicModel",
    "from_radians",
    "guess_units",
    "pick_arm",
    "to_radians",
]
