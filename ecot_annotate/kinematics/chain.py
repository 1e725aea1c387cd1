"""Forward kinematics of one arm: joint positions -> end-effector position and orientation.

Pinocchio reads the URDF and computes the placements; this module only picks the chain that
carries the end-effector link and converts pinocchio's placements into the (xyz, rpy) tracks the
motion code reads. The chain's joints are the joints between the root and the end-effector link,
so a URDF that also holds fingers, a camera mast or a second arm still yields the arm alone.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pinocchio as pin
from scipy.spatial.transform import Rotation

from ecot_annotate.errors import InputError
from ecot_annotate.kinematics.catalog import BUILTIN_ARMS

# Pinocchio's 1-DoF joints (revolute about an axis, prismatic along one) take the value as is;
# a continuous joint is stored as (cos, sin) of its angle.
_CONTINUOUS = (
    "JointModelRUBX",
    "JointModelRUBY",
    "JointModelRUBZ",
    "JointModelRevoluteUnboundedUnaligned",
)


def _parse(urdf: str) -> tuple[str, ET.Element]:
    """The URDF text and its root element, or InputError naming the file."""
    path = Path(urdf)
    if not path.is_file():
        raise InputError(f"kinematic model {urdf}: no such file")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(f"kinematic model {urdf} is not valid XML: {exc}") from None
    if root.tag != "robot":
        raise InputError(
            f"kinematic model {urdf} is not a URDF: its root element is <{root.tag}>, not <robot>"
        )
    return text, root


def _source_note(root: ET.Element, text: str, urdf: str) -> str:
    """Provenance: the file and, for a file that states it, the description it was written from."""
    start, end = text.find("<!--"), text.find("-->")
    robot_at = text.find("<robot")
    if 0 <= start < robot_at and end > start:
        return f"{urdf}: {text[start + 4 : end].strip()}"
    return f"{urdf} (robot '{root.get('name', '?')}')"


@dataclass(frozen=True)
class _Joint:
    name: str
    idx_q: int
    continuous: bool


class KinematicModel:
    """One arm's chain from the URDF root to its end-effector link, evaluated by pinocchio."""

    def __init__(self, name: str, model: pin.Model, ee_link: str, source: str):
        self.name = name
        self.ee_link = ee_link
        self.source = source
        self._model = model
        self._data = model.createData()
        self._frame = model.getFrameId(ee_link)
        self._joints = self._chain(model, self._frame)
        self.joint_names: tuple[str, ...] = tuple(j.name for j in self._joints)
        ids = [model.getJointId(j.name) for j in self._joints]
        self.lower = np.array([self._limit(model, i, lower=True) for i in ids])
        self.upper = np.array([self._limit(model, i, lower=False) for i in ids])

    @classmethod
    def load(cls, urdf: str, ee_link: str) -> KinematicModel:
        """The chain of `urdf` (a file path) that ends at `ee_link`; InputError when either is wrong."""
        text, root = _parse(urdf)
        links = [link.get("name", "") for link in root.findall("link")]
        if ee_link not in links:
            raise InputError(
                f"kinematic model {urdf} has no link '{ee_link}'; its links: {', '.join(links) or '(none)'}"
            )
        try:
            model = pin.buildModelFromXML(text)
        except (ValueError, RuntimeError) as exc:
            raise InputError(f"kinematic model {urdf} cannot be read as a URDF: {exc}") from None
        return cls(
            root.get("name") or Path(urdf).stem, model, ee_link, _source_note(root, text, urdf)
        )

    @classmethod
    def builtin(cls, name: str) -> KinematicModel:
        """A built-in arm by its catalog name (see `catalog.BUILTIN_ARMS`)."""
        if name not in BUILTIN_ARMS:
            raise InputError(
                f"no built-in kinematic model '{name}'; choose from {', '.join(BUILTIN_ARMS)}"
            )
        info = BUILTIN_ARMS[name]
        model = cls.load(str(info.urdf), info.ee_link)
        model.name = name
        return model

    @staticmethod
    def _chain(model: pin.Model, frame_id: int) -> list[_Joint]:
        joint_id = model.frames[frame_id].parentJoint
        chain: list[_Joint] = []
        while joint_id != 0:
            joint = model.joints[joint_id]
            kind = joint.shortname()
            continuous = kind in _CONTINUOUS
            if joint.nv != 1:
                raise InputError(
                    f"joint '{model.names[joint_id]}' is a {kind}; only revolute, continuous and "
                    "prismatic joints can carry an arm's end effector"
                )
            chain.append(_Joint(model.names[joint_id], joint.idx_q, continuous))
            joint_id = model.parents[joint_id]
        return chain[::-1]

    @staticmethod
    def _limit(model: pin.Model, joint_id: int, lower: bool) -> float:
        joint = model.joints[joint_id]
        if joint.nq == 2:  # continuous: one turn either way
            return -np.pi if lower else np.pi
        limits = model.lowerPositionLimit if lower else model.upperPositionLimit
        return float(limits[joint.idx_q])

    def fk(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """End-effector xyz (T, 3) in metres and roll/pitch/yaw (T, 3), extrinsic xyz, in radians.

        `q` is (T, n) in the order of `joint_names`: radians for revolute joints, metres for
        prismatic ones. Joints outside the chain stay at their neutral position.
        """
        q = np.atleast_2d(np.asarray(q, dtype=float))
        if q.shape[1] != len(self._joints):
            raise InputError(
                f"kinematic model '{self.name}' has {len(self._joints)} joints "
                f"({', '.join(self.joint_names)}); got {q.shape[1]} values per step"
            )
        config = np.tile(pin.neutral(self._model), (len(q), 1))
        for column, joint in enumerate(self._joints):
            if joint.continuous:
                config[:, joint.idx_q] = np.cos(q[:, column])
                config[:, joint.idx_q + 1] = np.sin(q[:, column])
            else:
                config[:, joint.idx_q] = q[:, column]
        xyz = np.empty((len(q), 3))
        rotations = np.empty((len(q), 3, 3))
        for step, row in enumerate(config):
            pin.forwardKinematics(self._model, self._data, row)
            placement = pin.updateFramePlacement(self._model, self._data, self._frame)
            xyz[step] = placement.translation
            rotations[step] = placement.rotation
        rpy = Rotation.from_matrix(rotations).as_euler("xyz") if len(q) else np.empty((0, 3))
        return xyz, rpy
