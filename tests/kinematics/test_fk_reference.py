"""Every built-in arm's forward kinematics against independent references.

Three configurations per arm: the zero pose and two others inside the joint limits. References:
published DH tables, screw descriptions or MJCF body trees (tests/kinematics/published.py), the
positions makers publish for the zero pose, and a second library (ikpy) reading the same URDF.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from ecot_annotate.kinematics import BUILTIN_ARMS, KinematicModel
from tests.kinematics.published import PUBLISHED, ZERO_POSITIONS

MM = 1e-3
ARMS = list(BUILTIN_ARMS)


def _configurations(model: KinematicModel) -> np.ndarray:
    span = model.upper - model.lower
    zero = np.clip(np.zeros(len(span)), model.lower, model.upper)
    return np.stack([zero, model.lower + 0.3 * span, model.lower + 0.8 * span])


@pytest.fixture(scope="module", params=ARMS)
def arm(request) -> KinematicModel:
    return KinematicModel.builtin(request.param)


def test_every_arm_but_so100_has_a_published_reference_besides_its_urdf():
    # The SO-100's only descriptions are its URDF and Menagerie's MJCF of the same numbers with
    # other joint zeros; ikpy (below) is its only check.
    assert set(ARMS) - set(PUBLISHED) == {"so100"}


@pytest.mark.parametrize("name", sorted(ZERO_POSITIONS))
def test_zero_pose_is_the_published_zero_pose(name):
    model = KinematicModel.builtin(name)
    xyz, _ = model.fk(np.zeros((1, len(model.joint_names))))
    assert np.abs(xyz[0] - ZERO_POSITIONS[name]).max() < 1 * MM


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_fk_agrees_with_the_published_reference(name):
    reference_pose, link = PUBLISHED[name]
    info = BUILTIN_ARMS[name]
    model = KinematicModel.load(str(info.urdf), link)
    q = _configurations(model)
    xyz, rpy = model.fk(q)
    for step, row in enumerate(q):
        reference = reference_pose(row)
        assert np.abs(xyz[step] - reference[:3, 3]).max() < 1 * MM, (name, step)
        ours = Rotation.from_euler("xyz", rpy[step])
        error = (ours.inv() * Rotation.from_matrix(reference[:3, :3])).magnitude()
        assert error < 2e-3, (name, step, error)


def test_fk_agrees_with_ikpy_reading_the_same_urdf(arm):
    from ikpy.chain import Chain

    info = BUILTIN_ARMS[arm.name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chain = Chain.from_urdf_file(str(info.urdf), base_elements=[_root_link(info.urdf)])
    moving = np.array([link.joint_type != "fixed" and i > 0 for i, link in enumerate(chain.links)])
    assert moving.sum() == len(arm.joint_names)
    q = _configurations(arm)
    xyz, rpy = arm.fk(q)
    for step, row in enumerate(q):
        full = np.zeros(len(chain.links))
        full[moving] = row
        reference = chain.forward_kinematics(full)
        assert np.abs(xyz[step] - reference[:3, 3]).max() < 1 * MM, (arm.name, step)
        error = (
            Rotation.from_euler("xyz", rpy[step]).inv() * Rotation.from_matrix(reference[:3, :3])
        ).magnitude()
        assert error < 1e-6


def _root_link(urdf) -> str:
    import xml.etree.ElementTree as ET

    root = ET.parse(urdf).getroot()
    children = {joint.find("child").get("link") for joint in root.findall("joint")}
    (base,) = [
        link.get("name") for link in root.findall("link") if link.get("name") not in children
    ]
    return base


def test_every_model_file_names_its_source():
    for info in BUILTIN_ARMS.values():
        head = info.urdf.read_text().splitlines()[1]
        assert head.startswith("<!-- Source: "), info.name
        assert KinematicModel.builtin(info.name).source.endswith(head[5:-4].strip())
