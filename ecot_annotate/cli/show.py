"""`ecot-annotate show OUT`: print one step's chain as ECoT tags."""

from __future__ import annotations

import click

from ecot_annotate.chain import split_chain
from ecot_annotate.cli import main
from ecot_annotate.errors import InputError
from ecot_annotate.outputs import episode_table, resolve_episode


@main.command()
@click.argument("out")
@click.option("--episode", default="0", show_default=True, help="Episode key or index (sorted by key).")
@click.option("--step", type=int, default=0, show_default=True)
def show(out: str, episode: str, step: int) -> None:
    """Print the reasoning chain of one step."""
    key = resolve_episode(out, episode)
    table = episode_table(out, key, columns=["step", "instruction", "chain", "reasoning_source", "fallback_reason"])
    if not 0 <= step < table.num_rows:
        raise InputError(f"step {step} is out of range: episode has {table.num_rows} steps")
    row = table.slice(step, 1).to_pylist()[0]
    click.echo(f"episode {key}  step {step}/{table.num_rows - 1}  ({row['reasoning_source']})")
    click.echo(f"instruction: {row['instruction']}")
    for tag, text in split_chain(row["chain"]).items():
        click.echo(f"  {tag} {text}")
