"""The generated sample: procedural pick-and-place episodes with ground truth, written as RLDS."""
