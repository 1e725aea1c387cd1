"""The README's command-line example is what the commands print on the Bridge sample."""

from __future__ import annotations

import re

from click.testing import CliRunner

from ecot_annotate.cli import main
from tests.support.datasets import REPO


def _example(command: str) -> list[str]:
    """The lines the README shows under `$ ecot-annotate COMMAND`, up to the next prompt or fence."""
    lines = (REPO / "README.md").read_text().splitlines()
    start = lines.index(f"$ ecot-annotate {command}") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(("$ ", "```")))
    return lines[start:end]


def test_the_readme_show_example_is_what_show_prints(bridge_run):
    shown = _example("show runs/bridge --episode 3 --step 2")
    result = CliRunner().invoke(main, ["show", str(bridge_run), "--episode", "3", "--step", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == shown


def test_the_readme_annotate_example_is_what_annotate_prints(bridge_dir, tmp_path):
    *profile, last = _example(
        "annotate ../shared/data/bridge_debug/bridge_dataset/1.0.0 --out runs/bridge"
    )
    out = tmp_path / "bridge"
    result = CliRunner().invoke(main, ["annotate", str(bridge_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    *printed, summary = result.output.splitlines()
    assert printed == profile
    shape = r"annotated 25/25 episodes \(250 steps\) in [0-9.]+s -> "
    assert re.fullmatch(shape + "runs/bridge", last)
    assert re.fullmatch(shape + re.escape(str(out)), summary)


def test_the_readme_lists_every_built_in_kinematic_model():
    from ecot_annotate.kinematics.catalog import BUILTIN_ARMS

    text = (REPO / "README.md").read_text()
    section = text[text.index("### Robots in joint space") : text.index("### Motion primitives")]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    listed = {name for row in rows for name in re.findall(r"`(\w+)`", row.split("|")[1])}
    assert listed == set(BUILTIN_ARMS)
