"""Generated samples as tests use them: written through the CLI, as a user makes them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ecot_annotate.cli import main


def made_sample(tmp_path_factory, variant: str, episodes: int = 3) -> Path:
    """`make-sample --variant VARIANT` of `episodes` episodes; the dataset folder it wrote."""
    out = tmp_path_factory.mktemp(variant)
    result = CliRunner().invoke(
        main, ["make-sample", str(out), "--episodes", str(episodes), "--variant", variant]
    )
    assert result.exit_code == 0, result.output
    return out / f"ecot_sample_{variant}"
