"""Augmented RLDS of a two-arm robot: every step carries each arm's primitive, as Parquet does.

The input is a tiny RLDS dataset in ALOHA's layout (two ViperX 300 arms, 7 values each in
radians), its joint paths solved by inverse kinematics from a pick-and-place per arm, annotated
through the pipeline with a profile file naming both arms.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from ecot_annotate.sinks.rlds import STEP_KEY

tfds = pytest.importorskip("tensorflow_datasets")

STEPS = 20
PX = 32
PROFILE = """
name = "two_viperx"
image_key = "observation/image"
state_keys = ["observation/state"]
action_keys = ["action"]
instruction_key = "language_instruction"
motion_from = "joints"
{arms}
"""
ARM = """
[[arms]]
name = "{name}"
joint_indices = {joints}
gripper_index = {gripper}
kinematics = "viperx300"
joint_units = "radians"
"""


def _pick_and_place(shift: int, side: float) -> tuple[np.ndarray, np.ndarray]:
    """Gripper positions (STEPS, 3) in metres and openings (1 open, 0 closed): hold for `shift`
    steps, reach down, close, lift and carry to `side`."""
    xyz, opening = [np.array([0.3, 0.0, 0.2])], [1.0]
    for t in range(1, STEPS):
        k = t - shift
        step = np.zeros(3)
        if 1 <= k <= 4:
            step = np.array([0.0, 0.0, -0.03])
        elif k > 6:
            step = np.array([0.0, side * 0.03, 0.02])
        xyz.append(xyz[-1] + step)
        opening.append(1.0 if k <= 5 else 0.0)
    return np.asarray(xyz), np.asarray(opening)


def _features():
    f = tfds.features
    return f.FeaturesDict(
        {
            "steps": f.Dataset(
                {
                    "observation": f.FeaturesDict(
                        {
                            "image": f.Image(shape=(PX, PX, 3), encoding_format="jpeg"),
                            "state": f.Tensor(shape=(14,), dtype=np.float32),
                        }
                    ),
                    "action": f.Tensor(shape=(14,), dtype=np.float32),
                    "language_instruction": f.Text(),
                    "is_first": f.Scalar(dtype=np.bool_),
                    "is_last": f.Scalar(dtype=np.bool_),
                    "is_terminal": f.Scalar(dtype=np.bool_),
                }
            ),
            "episode_metadata": f.FeaturesDict(
                {"file_path": f.Text(), "episode_id": f.Scalar(dtype=np.int32)}
            ),
        }
    )


def _episode(index: int, rng: np.random.Generator) -> dict:
    """The left arm carries to one side; the right arm starts later and carries to the other."""
    from ecot_annotate.sample.joint_space import VIPERX, record_arm

    left, _ = record_arm(VIPERX, *_pick_and_place(0, 1.0))
    right, _ = record_arm(VIPERX, *_pick_and_place(6 + index, -1.0))
    state = np.hstack([left, right]).astype(np.float32)
    action = np.vstack([state[1:], state[-1:]])
    return {
        "steps": [
            {
                "observation": {
                    "image": rng.integers(0, 255, (PX, PX, 3), dtype=np.uint8),
                    "state": state[t],
                },
                "action": action[t],
                "language_instruction": "hand the block over",
                "is_first": t == 0,
                "is_last": t == STEPS - 1,
                "is_terminal": t == STEPS - 1,
            }
            for t in range(STEPS)
        ],
        "episode_metadata": {"file_path": "aloha", "episode_id": index},
    }


def _profile(path: Path, sides: tuple[str, ...]) -> Path:
    arms = "".join(
        ARM.format(name=side, joints=list(range(7 * i, 7 * i + 6)), gripper=7 * i + 6)
        for i, side in enumerate(sides)
    )
    path.write_text(PROFILE.format(arms=arms))
    return path


@pytest.fixture(scope="module")
def two_arm_rlds(tmp_path_factory) -> Path:
    from tests.support.datasets import write_rlds

    rng = np.random.default_rng(0)
    folder = tmp_path_factory.mktemp("aloha_rlds")
    return write_rlds(folder, [_episode(i, rng) for i in range(2)], "aloha_pair", _features())


def _annotate(source: Path, out: Path, profile: Path) -> dict[tuple[str, int], dict]:
    """Run the pipeline; return each step's `ecot` features read back through TFDS, by episode
    key and step."""
    from ecot_annotate.config import AnnotateConfig
    from pipelines.run import run

    config = AnnotateConfig(
        input=str(source), out=str(out), profile=str(profile), formats=("rlds", "parquet")
    )
    summary = run(config)
    assert summary["episodes_out"] == 2 and summary["episodes_quarantined"] == 0
    builder = tfds.builder_from_directory(str(out / "rlds" / "aloha_pair" / "1.0.0"))
    skip_images = {"steps": {"observation": {"image": tfds.decode.SkipDecoding()}}}
    steps = {}
    for episode in tfds.as_numpy(builder.as_dataset(split="train", decoders=skip_images)):
        key = episode["ecot_provenance"]["episode_key"].decode()
        for t, step in enumerate(episode["steps"]):
            steps[key, t] = step[STEP_KEY]
    return steps


def _texts(values) -> list[str]:
    return [v.decode() for v in values]


def test_each_step_carries_both_arms_primitives_as_parquet_does(two_arm_rlds, tmp_path):
    out = tmp_path / "out"
    steps = _annotate(two_arm_rlds, out, _profile(tmp_path / "two.toml", ("left", "right")))
    rows = pq.read_table(out / "parquet").to_pylist()
    assert len(steps) == len(rows) == 2 * STEPS
    for row in rows:
        step = steps[row["episode_key"], row["step"]]
        assert _texts(step["arm_names"]) == ["left", "right"]
        assert _texts(step["arm_primitives"]) == [a["primitive"] for a in row["arm_primitives"]]
        assert [a["arm"] for a in row["arm_primitives"]] == ["left", "right"]
        assert step["primitive"].decode() == row["primitive"]
    for i, side in enumerate(("left", "right")):  # each arm grasps in its own primitives
        prims = {_texts(s["arm_primitives"])[i] for s in steps.values()}
        assert any("close gripper" in p for p in prims), (side, prims)
    assert any(len(set(_texts(s["arm_primitives"]))) == 2 for s in steps.values())  # not copies


def test_one_arm_leaves_the_arm_features_empty(two_arm_rlds, tmp_path):
    steps = _annotate(two_arm_rlds, tmp_path / "out", _profile(tmp_path / "one.toml", ("left",)))
    assert len(steps) == 2 * STEPS
    assert all(len(s["arm_names"]) == len(s["arm_primitives"]) == 0 for s in steps.values())
    assert all(s["primitive"].decode().strip() for s in steps.values())
