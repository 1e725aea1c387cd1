"""The feature names Open X-Embodiment datasets use, which inference prefers in this order."""

from __future__ import annotations

# Third-person camera names of OXE datasets, most preferred first.
CAMERAS = (
    "image",
    "image_0",
    "agentview_rgb",
    "front_rgb",
    "rgb_static",
    "rgb",
    "exterior_image_1_left",
    "front",
    "top",
    "image_1",
    "highres_image",
    "image_primary",
    "static_image",
)
SIDE_CAMERAS = ("wrist", "hand", "gripper", "eye_in_hand", "finger")
STATES = (
    "state",
    "robot_state",
    "proprio",
    "eef_state",
    "robot_obs",
    "end_effector_cartesian_pos",
    "base_pose_tool_reached",
    "cartesian_position",
    "ee_pose",
    "tcp_pose",
    "joint_states",
    "joint_state",
    "joint_pos",
)
ACTION_PARTS = ("world_vector", "rotation_delta", "gripper_closedness_action", "open_gripper")
# A dict action whose single part is already the whole end-effector action (TACO-Play).
WHOLE_ACTIONS = ("rel_actions_world",)
# Gripper commands inside a dict action: name -> whether a larger value means open.
GRIPPER_ACTIONS = {"open_gripper": True, "gripper_closedness_action": False}
INSTRUCTIONS = ("language_instruction", "natural_language_instruction", "instruction", "task")
