"""`ecot-annotate make-sample OUT_DIR`: a generated RLDS sample for demos on any machine."""

from __future__ import annotations

import click

from ecot_annotate.cli.group import main
from ecot_annotate.sample.truth import VARIANTS


@main.command("make-sample")
@click.argument("out_dir")
@click.option("--episodes", type=int, default=8, show_default=True, help="How many episodes to write.")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the scenes and motions.")  # fmt: skip
@click.option("--variant", type=click.Choice(list(VARIANTS)), default="bridge-like", show_default=True, help="labelled: adds the true phase and primitive per step; mm: state in millimetres; rate3 / rate10: 3x / 10x Bridge's 5 Hz (all three labelled).")  # fmt: skip
def make_sample(out_dir: str, episodes: int, seed: int, variant: str) -> None:
    """Write a small RLDS dataset (Bridge layout, 256x256, with ground truth) of tabletop scenes."""
    from ecot_annotate.sample.generate import write_sample

    path = write_sample(out_dir, episodes=episodes, seed=seed, variant=VARIANTS[variant])
    click.echo(f"wrote {episodes} episodes to {path}")
