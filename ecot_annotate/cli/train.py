"""`ecot-annotate train | predict | evaluate`: fine-tune a reasoning VLA on our shards and use it."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import click

from ecot_annotate.cli.config_options import config_options, parsed_config
from ecot_annotate.cli.group import main, note, settle_hub
from ecot_annotate.train.config import TrainConfig


@main.command()
@config_options(TrainConfig)
@click.pass_context
def train(ctx: click.Context, **_: object) -> None:
    """Fine-tune BASE_MODEL on annotated DATA (a run folder or its parquet/) into a reasoning VLA."""
    from ecot_annotate.train.trainer import train as run_training

    config = replace(parsed_config(TrainConfig, ctx), progress=sys.stderr.isatty())
    settle_hub([config.base_model])
    summary = run_training(config)
    for text in summary["notes"]:
        note(text)
    last = summary["last"] or {}
    click.echo(
        f"trained to step {summary['steps']} ({summary['samples_per_s']:.1f} samples/s): loss {last.get('loss', float('nan')):.4f}, "
        f"action-token accuracy {last.get('action_accuracy', 0):.3f} (first token {last.get('first_action_accuracy', 0):.3f}) -> {summary['out']}"
    )


@main.command()
@click.argument("ckpt")
@click.option("--image", required=True, type=click.Path(exists=True, dir_okay=False), help="An image file (PNG/JPEG).")  # fmt: skip
@click.option("--instruction", required=True, help="The task, in words, as the dataset phrases it.")
@click.option("--max-reasoning-tokens", type=int, default=512, show_default=True, help="0 acts without a chain.")  # fmt: skip
@click.option("--device", default="auto", show_default=True, help="auto (a GPU when there is one), cpu, cuda, cuda:N.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print chain, tags and action as JSON.")
def predict(
    ckpt: str, image: str, instruction: str, max_reasoning_tokens: int, device: str, as_json: bool
) -> None:
    """Generate the reasoning chain and the action for one image and instruction."""
    from PIL import Image

    from ecot_annotate.train.predict import Policy

    with Image.open(image) as img:
        pred = Policy.load(ckpt, device).predict(
            img.convert("RGB"), instruction, max_reasoning_tokens
        )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "chain": pred.chain,
                    "tags": pred.tags,
                    "action": pred.action.tolist(),
                    "action_ids": pred.action_ids,
                }
            )
        )
        return
    for tag, text in pred.tags.items():
        click.echo(f"{tag} {text}")
    click.echo(f"ACTION: {[round(float(v), 5) for v in pred.action]}")


@main.command()
@click.argument("ckpt")
@click.argument("data")
@click.option("--include-train", is_flag=True, help="Also score episodes the checkpoint trained on.")  # fmt: skip
@click.option("--max-generate", type=int, default=32, show_default=True, help="Steps whose answer is generated (L1, chain match).")  # fmt: skip
@click.option("--max-reasoning-tokens", type=int, default=512, show_default=True, help="Token limit of each generated chain.")  # fmt: skip
@click.option("--batch-size", type=int, default=16, show_default=True, help="Steps per teacher-forced forward pass.")  # fmt: skip
@click.option("--device", default="auto", show_default=True, help="auto (a GPU when there is one), cpu, cuda, cuda:N.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def evaluate(
    ckpt: str,
    data: str,
    include_train: bool,
    max_generate: int,
    max_reasoning_tokens: int,
    batch_size: int,
    device: str,
    as_json: bool,
) -> None:
    """Action-token accuracy, action L1 and chain match of CKPT on held-out episodes of DATA."""
    from ecot_annotate.train.evaluate import evaluate as run_evaluation

    result = run_evaluation(
        ckpt,
        data,
        include_train,
        max_generate,
        max_reasoning_tokens,
        batch_size,
        device,
        progress=sys.stderr.isatty(),
    )
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    gen = result["generated"]
    click.echo(
        f"{result['episodes']} episodes, {result['steps']} steps ({'including' if include_train else 'held out from'} training)"
    )
    click.echo(
        f"action-token accuracy {result['action_token_accuracy']:.3f}, first action token {result['first_action_token_accuracy']:.3f} (chance {result['chance_accuracy']:.4f})"
    )
    if gen["samples"]:
        click.echo(
            f"generated on {gen['samples']} steps: action L1 {gen['action_l1']:.4f}, chain exact {gen['chain_exact']:.3f}"
        )
        for tag, rate in gen["tag_match"].items():
            click.echo(f"  {tag} {rate:.3f}")
