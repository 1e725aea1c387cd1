"""Generated samples as tests and benchmarks use them: written through the CLI, as a user makes
them, and the noisy sample annotated as a Dobot CR5 records it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ecot_annotate.cli import main
from ecot_annotate.config import AnnotateConfig
from ecot_annotate.sample.noisy import write_command_only_profile
from pipelines.run import run


def made_sample(tmp_path_factory, variant: str, episodes: int = 3) -> Path:
    """`make-sample --variant VARIANT` of `episodes` episodes; the dataset folder it wrote."""
    out = tmp_path_factory.mktemp(variant)
    result = CliRunner().invoke(
        main, ["make-sample", str(out), "--episodes", str(episodes), "--variant", variant]
    )
    assert result.exit_code == 0, result.output
    return out / f"ecot_sample_{variant}"


def command_only_run(root: Path, folder: Path) -> Path:
    """Annotate the so101-noisy sample at `root` from the path, read as a Dobot CR5 records it
    (no gripper in the state, only the action's late binary command), into `folder`; the run."""
    profile = write_command_only_profile(root, folder / "command-only.toml")
    out = folder / "command-only-run"
    config = AnnotateConfig(
        str(root), str(out), "lerobot", profile=str(profile), camera="none", formats=("parquet",)
    )
    run(config)
    return out
