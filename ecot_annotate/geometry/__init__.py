"""Geometry of the arm: motion primitives from end-effector motion, and the state-to-pixel camera fit."""
