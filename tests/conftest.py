"""Shared fixtures: the real Bridge sample (skipped where ../shared is absent), the generated
sample, and annotated runs of both, built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ecot_annotate.llvm_order import load_triton_first
from tests.support.datasets import BRIDGE

load_triton_first()  # tests load TensorFlow directly; see llvm_order


@pytest.fixture(scope="session")
def bridge_dir() -> Path:
    """The 25-episode BridgeData V2 RLDS sample in ../shared (never copied into the repo)."""
    if not (BRIDGE / "dataset_info.json").is_file():
        pytest.skip(f"../shared Bridge sample not found at {BRIDGE}")
    return BRIDGE


@pytest.fixture(scope="session")
def bridge_run(bridge_dir, tmp_path_factory) -> Path:
    """An offline (rules) annotation run over the Bridge sample: OUT folder."""
    from ecot_annotate.config import AnnotateConfig
    from pipelines.run import run

    out = tmp_path_factory.mktemp("bridge_run")
    run(AnnotateConfig(input=str(bridge_dir), out=str(out)))
    return out


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    """A small generated RLDS sample in the Bridge layout with ground truth (6 episodes)."""
    from ecot_annotate.sample.generate import write_sample

    return write_sample(tmp_path_factory.mktemp("sample"), episodes=6, seed=0)


@pytest.fixture(scope="session")
def sample_run(sample_dir, tmp_path_factory) -> Path:
    from ecot_annotate.config import AnnotateConfig
    from pipelines.run import run

    out = tmp_path_factory.mktemp("sample_run")
    run(AnnotateConfig(input=str(sample_dir), out=str(out), profile="ecot_sample"))
    return out


@pytest.fixture
def make_episodes():
    """`make_episodes(n, seed)` -> example dicts of generated episodes, to edit into bad input."""
    import numpy as np

    from ecot_annotate.sample.generate import Camera, make_episode

    def build(n: int = 3, seed: int = 0) -> list[dict]:
        rng = np.random.default_rng(seed)
        camera = Camera.look_at(np.array([0.75, 0.0, 0.45]), np.array([0.3, 0.0, 0.02]))
        return [make_episode(i, rng, camera) for i in range(n)]

    return build
