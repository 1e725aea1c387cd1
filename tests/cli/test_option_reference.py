"""Every command's options, as a user types them, against the recorded reference.

The reference (option_reference.json) was recorded from the CLI before its options were derived
from the config dataclasses; a change to an option's name, default or kind, or a value it no
longer takes, shows here (a value added to a registry is not a change: other tests register
some). A deliberate change: rerun `python -m tests.cli.test_option_reference` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ecot_annotate.cli import main

REFERENCE = Path(__file__).with_name("option_reference.json")


def _param(param: click.Parameter) -> dict:
    """What a user sees of one parameter: its names, the values it takes, and its default (a
    flag's default is what leaving it out means, so it is left to the tests of behaviour)."""
    kind = param.to_info_dict()["type"]
    described = {
        "names": [param.human_readable_name]
        if isinstance(param, click.Argument)
        else sorted([*param.opts, *param.secondary_opts]),
        "type": kind["name"],
        "choices": list(kind.get("choices", ())),
        **{k: kind[k] for k in ("min", "max") if k in kind},
        "required": param.required,
        "multiple": param.multiple,
    }
    if isinstance(param, click.Option):
        described["flag"] = param.is_flag
        if not param.is_flag:
            described["default"] = param.to_info_dict()["default"]
    return described


def describe(group: click.Group = main) -> dict[str, list[dict]]:
    """Each command's parameters, sorted by their first name (help order may change)."""
    with click.Context(group) as ctx:
        return {
            name: sorted(
                (_param(p) for p in group.get_command(ctx, name).params),
                key=lambda p: p["names"][0],
            )
            for name in group.list_commands(ctx)
        }


def test_every_command_takes_the_recorded_options():
    recorded = json.loads(REFERENCE.read_text())
    found = describe()
    assert sorted(found) == sorted(recorded)
    for command, params in recorded.items():
        assert [p["names"] for p in found[command]] == [p["names"] for p in params], command
        for now, then in zip(found[command], params, strict=True):
            assert set(now.pop("choices")) >= set(then.pop("choices")), now["names"]
            assert now == then


if __name__ == "__main__":  # record the reference from the CLI as it is now
    commands = (
        f"{json.dumps(name)}: [\n" + ",\n".join(f"  {json.dumps(p)}" for p in params) + "\n]"
        for name, params in describe().items()
    )
    REFERENCE.write_text("{\n" + ",\n".join(commands) + "\n}\n")
