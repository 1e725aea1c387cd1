"""Click options derived from a config dataclass's settings (ecot_annotate/setting.py).

Each setting becomes one option (or argument) named, typed, bounded and described by its field,
and the parsed values go back into the config by path: a command never lists its settings.
Click alone does this: draccus and simple-parsing derive argparse parsers, with dotted names
(`--llm.model`), so they would rename every option and sit beside click.
"""

from __future__ import annotations

import pkgutil
import types
from collections.abc import Callable, Iterable
from dataclasses import MISSING
from typing import Any, Union, get_args, get_origin

import click

from ecot_annotate.registry import Registry
from ecot_annotate.setting import Declared, Setting, config_from, declared


class _CommaSeparated(click.ParamType):
    """A list setting as one comma-separated value; empty items are dropped. A value that is
    already a tuple passes (click converts values it has converted before, e.g. on `ctx.invoke`)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        return tuple(item.strip() for item in value.split(",") if item.strip())


class SettingOption(click.Option):
    """An option that is a setting: it knows where its value goes in the config."""

    def __init__(self, *args: Any, found: Declared, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.found = found


class SettingArgument(click.Argument):
    """An argument that is a setting."""

    def __init__(self, *args: Any, found: Declared, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.found = found


class SectionedCommand(click.Command):
    """Help lists the options of each config section under its own heading."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            found = getattr(param, "found", None)
            title = found.section.title if found and found.section else "Options"
            if record is not None and not isinstance(param, click.Argument):
                sections.setdefault(title, []).append(record)
        for title, records in sections.items():
            with formatter.section(title):
                formatter.write_dl(records)


def _choices(setting: Setting) -> tuple[tuple[str, ...], str]:
    """The allowed values, and their description for the help's `{choices}`."""
    found = pkgutil.resolve_name(setting.choices_from) if setting.choices_from else ()
    names = found.names() if isinstance(found, Registry) else tuple(found)
    entries = [found.get(name) for name in names] if isinstance(found, Registry) else []
    if entries and all(hasattr(entry, "help") for entry in entries):
        return (*setting.choices, *names), "; ".join(entry.help for entry in entries)
    return (*setting.choices, *names), ", ".join((*setting.choices, *names))


def _base(kind: Any) -> Any:
    """`X` of `X | None`."""
    if get_origin(kind) in (Union, types.UnionType):
        (kind,) = [arg for arg in get_args(kind) if arg is not type(None)]
    return kind


def _type(found: Declared, choices: tuple[str, ...]) -> click.ParamType:
    kind, setting = _base(found.kind), found.setting
    if get_origin(kind) is tuple:
        return _CommaSeparated()
    if choices:
        return click.Choice(choices)
    if setting.low is not None or setting.high is not None:
        bounded = click.IntRange if kind is int else click.FloatRange
        return bounded(setting.low, setting.high)
    return {str: click.STRING, int: click.INT, float: click.FLOAT}[kind]


def parameter(found: Declared) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The click option (or argument) of one setting, as a decorator."""
    setting, default = found.setting, found.default
    choices, described = _choices(setting)
    if setting.argument:
        return click.argument(
            found.path[-1], cls=SettingArgument, found=found, metavar=setting.argument
        )
    name = "_".join(found.path[-1:] if found.section is None else found.path)
    text = setting.help.replace("{choices}", described)
    common = {"cls": SettingOption, "found": found, "help": text}
    if _base(found.kind) is bool and setting.option:  # the one flag that sets the opposite
        return click.option(
            setting.option, name, is_flag=True, flag_value=not default, default=default, **common
        )
    if _base(found.kind) is bool:
        names = f"{found.option}/--no-{found.option[2:]}" if default else found.option
        return click.option(names, name, is_flag=True, default=default, show_default=True, **common)
    if isinstance(default, tuple):
        default = ",".join(default)  # as a user types it
    required = default is MISSING
    return click.option(
        found.option,
        name,
        type=_type(found, choices),
        default=None if required else default,
        required=required,
        show_default=True,
        **common,
    )


def config_options(
    config: type, only: Iterable[str] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator giving a command the options of `config`'s settings (or of those whose
    paths, dotted, are in `only`), in field order."""
    wanted = set(only) if only is not None else None
    decorators = [
        parameter(found)
        for found in declared(config)
        if wanted is None or ".".join(found.path) in wanted
    ]

    def add(command: Callable[..., Any]) -> Callable[..., Any]:
        for decorate in reversed(decorators):
            command = decorate(command)
        return command

    return add


def parsed_config(config: type, ctx: click.Context) -> Any:
    """`config` built from the values of the command's settings, as parsed."""
    values = {
        param.found.path: ctx.params[param.name]
        for param in ctx.command.params
        if isinstance(param, (SettingOption, SettingArgument))
    }
    return config_from(config, values)
