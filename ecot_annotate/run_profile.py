"""A run's profile, resolved once before any work and carried as data in its config.

`annotate` resolves it (a built-in name, a file, or `auto`) and records the profile itself in
`run.json`; every stage and worker, and every later command on the finished run (export, show,
score, review, `--dry-run`), reads `config.dataset_profile` and never resolves it again, so a
deleted or edited profile file, or an inference that would now come out otherwise, cannot change
what a run's outputs say.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ecot_annotate.config import AnnotateConfig
from ecot_annotate.profiles.choice import Origin, ProfileChoice
from ecot_annotate.profiles.resolve import resolve_profile


def with_profile(config: AnnotateConfig, dataset: Any) -> tuple[AnnotateConfig, ProfileChoice]:
    """The config carrying its resolved profile, and how it was chosen. A config that already
    carries one (a later command on a finished run) keeps it."""
    if config.dataset_profile is not None:  # the dataset's own mismatches are said again
        layout = dataset.layout()
        said = ProfileChoice(Origin.RECORDED, config.profile, (), layout.notes, layout.conventions)
        return config, said
    chosen = resolve_profile(
        config.profile,
        dataset.layout(),
        config.camera,
        config.kinematics,
        config.ee_link,
        config.joint_units,
    )
    return replace(config, profile=chosen.ref, dataset_profile=chosen.profile), chosen.how
