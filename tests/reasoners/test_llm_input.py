"""What the LLM is shown of an episode: with two arms, every move names both arms' moves."""

from __future__ import annotations

import numpy as np

from ecot_annotate.episode import Annotation, ArmTrack, Episode
from ecot_annotate.reasoners.llm_input import episode_input


def test_two_arms_moves_reach_the_prompt_input():
    n = 4
    episode = Episode(
        key="k",
        dataset="d",
        instruction="fold the towel",
        images=[b""] * n,
        image_size=(8, 8),
        state=np.zeros((n, 14), np.float32),
        action=np.zeros((n, 14), np.float32),
        arms=tuple(
            ArmTrack(side, np.zeros((n, 3)), np.zeros((n, 3)), np.zeros(n), None, "state")
            for side in ("left", "right")
        ),
        is_first=np.arange(n) == 0,
        is_last=np.arange(n) == n - 1,
        is_terminal=np.arange(n) == n - 1,
    )
    left, right = ["move up"] * 2 + ["stop"] * 2, ["close gripper"] * 4
    annotation = Annotation(arm_primitives={"left": left, "right": right})
    moves = episode_input(episode, annotation)["moves"]
    assert [(m["move"], m["steps"]) for m in moves] == [
        ("left arm: move up; right arm: close gripper", [0, 1]),
        ("left arm: stop; right arm: close gripper", [2, 3]),
    ]
