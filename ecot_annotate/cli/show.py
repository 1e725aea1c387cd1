"""`ecot-annotate show OUT`: print one step's chain as ECoT tags (coloured on a terminal) or as JSON."""

from __future__ import annotations

import json
import sys

import click

from ecot_annotate.cli.group import main
from ecot_annotate.errors import InputError
from ecot_annotate.store.run_output import episode_table, resolve_episode
from ecot_annotate.text.chain import split_chain
from ecot_annotate.text.checks import FIELDS, episode_words, step_failures

_COLUMNS = [
    "step",
    "instruction",
    "chain",
    "primitive",
    "reasoning_source",
    "reasoning_model",
    "fallback_reason",
    "bboxes",
    "gripper_position",
    "fields_from_rules",
    "caption",
    *FIELDS,
    "move",
]
_SOURCE_COLOUR = {"llm": "green", "rules": "blue", "fallback": "yellow"}


@main.command()
@click.argument("out")
@click.option("--episode", default="0", show_default=True, help="Episode key or index (sorted by key).")  # fmt: skip
@click.option("--step", type=int, default=0, show_default=True, help="Step index, from 0.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="text: the tags, one per line; json: the step's fields and tags as one JSON object.")  # fmt: skip
@click.option("--only-passing", is_flag=True, help="Print the chain only when the step's texts pass the text checks (the ones `stats` counts); otherwise say in one line which fail.")  # fmt: skip
def show(out: str, episode: str, step: int, fmt: str, only_passing: bool) -> None:
    """Print the reasoning chain of one step of run OUT (any output format: the manifest is read when there is no Parquet)."""
    key = resolve_episode(out, episode)
    table = episode_table(out, key, columns=_COLUMNS)
    if not 0 <= step < table.num_rows:
        raise InputError(
            f"step {step} is out of range: the episode has {table.num_rows} steps (0-{table.num_rows - 1})"
        )
    row = {"instruction": None, **table.slice(step, 1).to_pylist()[0]}
    if only_passing:
        failing = _failing_texts(table.to_pylist(), step)
        if failing:
            click.echo(
                f"episode {key} step {step}: not shown, {failing} (`ecot-annotate stats {out}` counts them all)"
            )
            return
    tags = split_chain(row["chain"])
    placed = _subtask_signals(out, key, step)
    if fmt == "json":
        record = {
            "episode": key,
            "n_steps": table.num_rows,
            **row,
            "tags": tags,
            "subtask_placed_by": placed,
        }
        click.echo(json.dumps(record, indent=2))
        return
    styled = sys.stdout.isatty()

    def style(text: str, **kwargs) -> str:
        return click.style(text, **kwargs) if styled else text

    source = "fallback" if row["fallback_reason"] else row["reasoning_source"]
    detail = f"{source}: {row['fallback_reason']}" if row["fallback_reason"] else source
    if row.get("fields_from_rules"):
        detail += f"; {len(row['fields_from_rules'].split(','))} texts written by the rules"
    click.echo(
        f"{style(f'episode {key}', bold=True)}  step {step} (steps 0-{table.num_rows - 1})  "
        f"({style(detail, fg=_SOURCE_COLOUR.get(source))})"
    )
    if row["instruction"] is not None:
        click.echo(f"instruction: {style(row['instruction'], bold=True)}")
    for tag, text in tags.items():
        click.echo(
            f"  {style(tag, fg='cyan', bold=True)} {style(text, fg='magenta') if tag == 'MOVE:' else text}"
        )


def _subtask_signals(out: str, key: str, step: int) -> dict | None:
    """Where the step's subtask starts, the arm(s) and signals that placed it, and how many steps
    those signals leave its start open over (runs that recorded them)."""
    from ecot_annotate.store.manifest import Manifest

    annotation = Manifest(out).load(key)
    for segment in (annotation.segments or []) if annotation else []:
        if segment.start <= step < segment.end:
            return {
                "start": segment.start,
                "kind": segment.kind,
                "arm": segment.arm,
                "signals": list(segment.signals),
                "open_steps": segment.unsure,
            }
    return None


def _failing_texts(rows: list[dict], step: int) -> str:
    """Which of the step's texts fail a text check and why, in one line; empty when all pass."""
    labels = {box["label"] for row in rows for box in row.get("bboxes") or ()}
    first = rows[0]
    words = episode_words(first.get("instruction") or first["task"], first.get("caption"), labels)
    failed = step_failures(rows, step, words)
    if not failed:
        return ""
    reasons = ", ".join(
        f"{name} {next(iter(found.values())).split(';')[0]}" for name, found in failed.items()
    )
    return f"{len(failed)} of its {len(FIELDS)} texts fail the text checks: {reasons}"
