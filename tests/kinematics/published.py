"""Reference kinematics built from the makers' own published tables, not from our URDFs.

Each arm's reference is written in the form its publisher gives: a Denavit-Hartenberg table
(Franka, Universal Robots, UFACTORY, AgileX), a product-of-exponentials description (Interbotix's
Modern Robotics screw axes and home pose), or a MuJoCo Menagerie MJCF body tree (positions and
quaternions; SO-101 and Koch v1.1, whose makers publish only URDFs). Agreement with the URDF chain
therefore checks the transcribed joint origins, axes and the end-effector frame, not only the library.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm
from scipy.spatial.transform import Rotation

PI = np.pi


def _rot_x(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1, 0, 0, 0], [0, c, -s, 0], [0, s, c, 0], [0, 0, 0, 1.0]])


def _rot_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]])


def _shift(x: float = 0.0, y: float = 0.0, z: float = 0.0) -> np.ndarray:
    out = np.eye(4)
    out[:3, 3] = (x, y, z)
    return out


def standard_dh(q, a, alpha, d, offset=None) -> np.ndarray:
    """Classic DH: Rz(theta) Tz(d) Tx(a) Rx(alpha) per joint."""
    offset = np.zeros(len(q)) if offset is None else offset
    pose = np.eye(4)
    for i, angle in enumerate(q):
        pose = pose @ _rot_z(angle + offset[i]) @ _shift(z=d[i]) @ _shift(x=a[i]) @ _rot_x(alpha[i])
    return pose


def modified_dh(q, a, alpha, d, offset=None) -> np.ndarray:
    """Craig's modified DH: Rx(alpha) Tx(a) Rz(theta) Tz(d) per joint."""
    offset = np.zeros(len(q)) if offset is None else offset
    pose = np.eye(4)
    for i, angle in enumerate(q):
        pose = pose @ _rot_x(alpha[i]) @ _shift(x=a[i]) @ _rot_z(angle + offset[i]) @ _shift(z=d[i])
    return pose


def space_poe(q, screws, home) -> np.ndarray:
    """Product of exponentials with space-frame screw axes (w, v) and the home pose M."""
    pose = np.eye(4)
    for (wx, wy, wz, vx, vy, vz), angle in zip(screws, q, strict=True):
        twist = np.array([[0, -wz, wy, vx], [wz, 0, -wx, vy], [-wy, wx, 0, vz], [0, 0, 0, 0.0]])
        pose = pose @ expm(twist * angle)
    return pose @ home


def panda(q) -> np.ndarray:
    """Franka's published modified-DH table (Panda), flange d = 0.107, then the hand's tcp:
    -pi/4 about the flange's z axis and 0.1034 m along it."""
    a = [0, 0, 0, 0.0825, -0.0825, 0, 0.088, 0]
    d = [0.333, 0, 0.316, 0, 0.384, 0, 0, 0.107]
    alpha = [0, -PI / 2, PI / 2, PI / 2, -PI / 2, PI / 2, PI / 2, 0]
    flange = modified_dh([*q, 0.0], a, alpha, d)
    return flange @ _rot_z(-PI / 4) @ _shift(z=0.1034)


def _universal_robots(q, d1, a2, a3, d4, d5, d6) -> np.ndarray:
    """Universal Robots' published DH table, in the ROS base_link frame (pi about z from the
    controller's base frame)."""
    d = [d1, 0, 0, d4, d5, d6]
    a = [0, a2, a3, 0, 0, 0]
    alpha = [PI / 2, 0, 0, PI / 2, -PI / 2, 0]
    return _rot_z(PI) @ standard_dh(q, a, alpha, d)


def ur5e(q) -> np.ndarray:
    return _universal_robots(q, 0.1625, -0.425, -0.3922, 0.1333, 0.0997, 0.0996)


def ur5(q) -> np.ndarray:
    return _universal_robots(q, 0.089159, -0.425, -0.39225, 0.10915, 0.09465, 0.0823)


def ur10e(q) -> np.ndarray:
    return _universal_robots(q, 0.1807, -0.6127, -0.57155, 0.17415, 0.11985, 0.11655)


def xarm6(q) -> np.ndarray:
    """UFACTORY's published xArm 6 modified-DH table (with joint 2/3 offsets)."""
    a = [0, 0, 0.28948866, 0.0775, 0, 0.076]
    d = [0.267, 0, 0, 0.3425, 0, 0.097]
    alpha = [0, -PI / 2, 0, -PI / 2, PI / 2, -PI / 2]
    offset = [0, -1.3849179, 1.3849179, 0, 0, 0]
    return modified_dh(q, a, alpha, d, offset)


def xarm7(q) -> np.ndarray:
    """UFACTORY's published xArm 7 modified-DH table."""
    a = [0, 0, 0, 0.0525, 0.0775, 0, 0.076]
    d = [0.267, 0, 0.293, 0, 0.3425, 0, 0.097]
    alpha = [0, -PI / 2, PI / 2, PI / 2, PI / 2, PI / 2, -PI / 2]
    return modified_dh(q, a, alpha, d)


def piper(q) -> np.ndarray:
    """AgileX's Piper modified-DH table (piper_sdk, firmware with the 2 degree joint 2/3 offset)."""
    a = [0, 0, 0.28503, -0.02198, 0, 0]
    d = [0.123, 0, 0, 0.25075, 0, 0.091]
    alpha = [0, -PI / 2, 0, PI / 2, -PI / 2, PI / 2]
    offset = [0, np.deg2rad(-172.22), np.deg2rad(-102.78), 0, 0, 0]
    return modified_dh(q, a, alpha, d, offset)


def _interbotix(q, shoulder_z, arm_z, elbow_x, wrist_x, home_x) -> np.ndarray:
    """Interbotix's Modern Robotics description of an X-series 6-DoF arm: its six space-frame
    screw axes, whose published numbers are these five lengths, and the ee_gripper home pose."""
    screws = [
        (0, 0, 1, 0, 0, 0),
        (0, 1, 0, -shoulder_z, 0, 0),
        (0, 1, 0, -arm_z, 0, elbow_x),
        (1, 0, 0, 0, arm_z, 0),
        (0, 1, 0, -arm_z, 0, wrist_x),
        (1, 0, 0, 0, arm_z, 0),
    ]
    return space_poe(q, screws, _shift(home_x, 0, arm_z))


def viperx300(q) -> np.ndarray:
    """vx300s (mr_descriptions: Slist and M)."""
    return _interbotix(q, 0.12705, 0.42705, 0.05955, 0.35955, 0.536494)


def widowx250(q) -> np.ndarray:
    """wx250s (mr_descriptions: Slist and M)."""
    return _interbotix(q, 0.11065, 0.36065, 0.04975, 0.29975, 0.458325)


def mjcf_chain(q, bodies) -> np.ndarray:
    """A MuJoCo body tree: each body's pos and quat (w, x, y, z) in its parent, then its hinge."""
    pose = np.eye(4)
    for (pos, quat, axis), angle in zip(bodies, q, strict=True):
        placement = np.eye(4)
        placement[:3, :3] = Rotation.from_quat(quat, scalar_first=True).as_matrix()
        placement[:3, 3] = pos
        hinge = np.eye(4)
        hinge[:3, :3] = Rotation.from_rotvec(np.asarray(axis, dtype=float) * angle).as_matrix()
        pose = pose @ placement @ hinge
    return pose


def so101_wrist(q) -> np.ndarray:
    """Menagerie robotstudio_so101/so101.xml, base to the `gripper` body (our gripper_link)."""
    z = (0, 0, 1)
    bodies = [
        ((0.0388353, 0, 0.0624), (0, 0, -1, 0), z),
        ((-0.0303992, -0.0182778, -0.0542), (1, -1, -1, -1), z),
        ((-0.11257, -0.028, 0), (1, 0, 0, 1), z),
        ((-0.1349, 0.0052, 0), (1, 0, 0, -1), z),
        ((0, -0.0611, 0.0181), (0.0172091, -0.0172091, 0.706897, 0.706897), z),
    ]
    return mjcf_chain(q, bodies)


def koch(q) -> np.ndarray:
    """Menagerie low_cost_robot_arm/low_cost_robot_arm.xml (Koch v1.1), base_link to
    gripper_static_finger (our link_5). Its elbow hinge turns about -y where the URDF's turns
    about +y, so the same motion is the negated angle there."""
    unit = (1, 0, 0, 0)
    bodies = [
        ((0.012, 0, 0.0409), unit, (0, 0, -1)),
        ((0, -0.0209, 0.0154), unit, (0, 1, 0)),
        ((-0.0148, 0.0065, 0.1083), unit, (0, -1, 0)),
        ((-0.10048, 5e-05, 0.0026999), unit, (0, 1, 0)),
        ((-0.045, 0.013097, 0), unit, (1, 0, 0)),
    ]
    return mjcf_chain(np.asarray(q) * [1, 1, -1, 1, 1], bodies)


# name -> (reference pose function, the link of our model that it places)
PUBLISHED = {
    "panda": (panda, "panda_hand_tcp"),
    "ur5e": (ur5e, "tool0"),
    "ur5": (ur5, "tool0"),
    "ur10e": (ur10e, "tool0"),
    "xarm6": (xarm6, "link_eef"),
    "xarm7": (xarm7, "link_eef"),
    "piper": (piper, "link6"),
    "viperx300": (viperx300, "ee_gripper_link"),
    "widowx250": (widowx250, "ee_gripper_link"),
    "so101": (so101_wrist, "gripper_link"),
    "koch": (koch, "link_5"),
}

# Zero-pose end-effector positions (metres) the makers state outright.
ZERO_POSITIONS = {
    "xarm6": (0.207, 0.0, 0.112),  # UFACTORY: xArm 6 at zero, TCP [207, 0, 112] mm
    "xarm7": (0.206, 0.0, 0.1205),  # UFACTORY: xArm 7 at zero, TCP [206, 0, 120.5] mm
    "piper": (0.056128, 0.0, 0.213266),  # AgileX piper_sdk init_pos [56.128, 0, 213.266] mm
    "viperx300": (0.536494, 0.0, 0.42705),  # Interbotix M of vx300s
    "widowx250": (0.458325, 0.0, 0.36065),  # Interbotix M of wx250s
}
