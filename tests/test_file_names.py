"""Manifest file names: unique for keys of any characters, never hidden, readable at the end."""

from __future__ import annotations

from ecot_annotate.episode import Annotation, StepReasoning
from ecot_annotate.file_names import episode_file_stem as episode_file_name
from ecot_annotate.store.manifest import Manifest

KEYS = [
    "./data/ep.npy_0",
    "../up/ep.npy_0",
    ".hidden_3",
    "",
    "bad\udcffbytes_1",
    "a/b c:d*e?f_2",
    "x" * 400 + "/scene_00001.npy_1",
    "y" * 400 + "/scene_00001.npy_1",
    "ünïcødé/路径_5",
]


def test_names_are_unique_and_never_start_with_a_dot():
    names = [episode_file_name(k) for k in KEYS]
    assert len(set(names)) == len(KEYS)
    assert not [n for n in names if n.startswith(".")]
    assert all(len(n) <= 100 and "/" not in n for n in names)
    assert episode_file_name("x" * 400 + "/scene_00001.npy_1").endswith("scene_00001.npy_1")


def test_every_key_commits_loads_and_is_counted(tmp_path):
    manifest = Manifest(str(tmp_path))
    step = StepReasoning("t", "p", "s", "r", "m", "mr")
    for i, key in enumerate(KEYS):
        manifest.commit(key, Annotation(arm_primitives={"arm": [f"move {i}"]}, reasoning=[step]))
    assert manifest.count() == len(KEYS) == len(manifest.committed_paths())
    for i, key in enumerate(KEYS):
        assert manifest.load(key).moves == [f"move {i}"]
