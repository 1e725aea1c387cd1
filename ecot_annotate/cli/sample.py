"""`ecot-annotate make-sample OUT_DIR`: a generated sample with ground truth for demos on any machine."""

from __future__ import annotations

import click

from ecot_annotate.cli.group import main
from ecot_annotate.sample.truth import VARIANTS

JOINT_VARIANTS = (
    "so101",
    "so101-noisy",
    "aloha",
    "so101-bimanual",
)  # written as LeRobot datasets (sample/joint_space.py)


@main.command("make-sample")
@click.argument("out_dir")
@click.option("--episodes", type=int, default=8, show_default=True, help="How many episodes to write.")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the scenes and motions.")  # fmt: skip
@click.option("--variant", type=click.Choice([*VARIANTS, *JOINT_VARIANTS]), default="bridge-like", show_default=True, help="labelled: adds the true phase and primitive per step; mm: state in millimetres; rate3 / rate10: 3x / 10x Bridge's 5 Hz (all three labelled); so101 / aloha: the same motions as SO-101 / two ViperX 300 joint angles at 15 Hz, written as a labelled LeRobot v3.0 dataset with video; so101-noisy: an SO-101 recorded with real noise (idle start, a missed grasp and a retry, a pause, a jittery gripper, a binary gripper command in the action that flips late); so101-bimanual: two SO-101 arms folding a cloth together at 20 Hz, a moment apart, in raw servo ticks with cameras cam0 and cam1, as a home-made two-arm recorder writes them.")  # fmt: skip
def make_sample(out_dir: str, episodes: int, seed: int, variant: str) -> None:
    """Write a small dataset of tabletop scenes with ground truth: RLDS (Bridge layout, 256x256),
    or LeRobot in joint space for the so101, so101-noisy, aloha and so101-bimanual variants."""
    if variant in JOINT_VARIANTS:
        from ecot_annotate.sample.joint_space import write_joint_sample

        path, error = write_joint_sample(out_dir, variant, episodes=episodes, seed=seed)
        click.echo(
            f"wrote {episodes} episodes to {path} "
            f"(inverse kinematics within {error * 1000:.1f} mm of the scripted path)"
        )
        return
    from ecot_annotate.sample.generate import write_sample

    path = write_sample(out_dir, episodes=episodes, seed=seed, variant=VARIANTS[variant])
    click.echo(f"wrote {episodes} episodes to {path}")
