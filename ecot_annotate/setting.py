"""Settings: the config fields a user sets, each declared once, with its help.

A config dataclass declares each setting as one field made by `setting(...)` (its default, its
help and, where needed, its option's name, allowed values or bounds), and each nested config whose
fields are settings too by `section(...)`. The CLI derives its options from these declarations
(cli/config_options.py) and builds the config back with `config_from`. Nothing here knows click:
a declaration is plain data in the field's metadata.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, get_type_hints

KEY = "ecot_annotate.setting"


@dataclass(frozen=True)
class Setting:
    """What a setting's field holds in its metadata."""

    # `{choices}` in the help stands for the allowed values, each described by its registry entry's
    # own `help` where the entries have one
    help: str
    # the option's name where it is not --PREFIX-FIELD-NAME; on a yes/no setting, the one flag
    # that sets the opposite of the default (without it: --NAME, or --NAME/--no-NAME for a yes)
    option: str | None = None
    choices: tuple[str, ...] = ()  # the allowed values, before those of `choices_from`
    # "module:NAME" of a Registry (its names) or a tuple of further allowed values: named, not
    # imported, so a config need not import the registries that import it; the CLI resolves it.
    # A list setting's values are listed in its help and checked with the run's other problems.
    choices_from: str | None = None
    low: float | None = None  # a number's bounds, both included
    high: float | None = None
    argument: str | None = None  # given as a positional argument shown as this, not an option


@dataclass(frozen=True)
class Section:
    """A nested config whose fields are settings as well."""

    prefix: str  # before its options' names: "llm-" makes --llm-model
    title: str  # the heading of its options in help


def setting(default: Any = MISSING, *, help: str, **how: Any) -> Any:
    """A dataclass field that is a setting; without a default the user must give it."""
    return field(default=default, metadata={KEY: Setting(help, **how)})


def section(config: type, prefix: str, title: str) -> Any:
    """A dataclass field holding a nested config (made with its defaults) whose settings count."""
    return field(default_factory=config, metadata={KEY: Section(prefix, title)})


@dataclass(frozen=True)
class Declared:
    """One setting as found in a config: where it lives and what it is named."""

    path: tuple[str, ...]  # field names from the outer config: ("llm", "model")
    option: str  # the option's name: --llm-model
    kind: Any  # the field's type
    default: Any  # MISSING: the user must give it
    setting: Setting
    section: Section | None  # the section it belongs to; None at the top


def declared(config: type) -> Iterator[Declared]:
    """Every setting of `config` and its sections, in field order."""
    yield from _declared(config, (), None)


def _declared(config: type, path: tuple[str, ...], within: Section | None) -> Iterator[Declared]:
    kinds = get_type_hints(config)
    prefix = within.prefix if within else ""
    for f in fields(config):
        meta = f.metadata.get(KEY)
        if isinstance(meta, Section):
            yield from _declared(kinds[f.name], (*path, f.name), meta)
        elif isinstance(meta, Setting):
            option = meta.option or f"--{prefix}{f.name.replace('_', '-')}"
            yield Declared((*path, f.name), option, kinds[f.name], f.default, meta, within)


def config_from(config: type, values: Mapping[tuple[str, ...], Any]) -> Any:
    """`config` built from setting values by path (as `declared` gives them); fields without a
    value keep their defaults."""
    return _config_from(config, values, ())


def _config_from(config: type, values: Mapping[tuple[str, ...], Any], path: tuple[str, ...]) -> Any:
    kinds = get_type_hints(config)
    found = {}
    for f in fields(config):
        here = (*path, f.name)
        if isinstance(f.metadata.get(KEY), Section):
            found[f.name] = _config_from(kinds[f.name], values, here)
        elif here in values:
            found[f.name] = values[here]
    return config(**found)
