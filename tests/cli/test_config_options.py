"""The CLI's options are the config's settings: each setting one option, named, typed and
described by its field, and the parsed options build the config a hand-written one would."""

from __future__ import annotations

from dataclasses import dataclass

import click
from click.testing import CliRunner

from ecot_annotate.backends.detectors import DETECTORS
from ecot_annotate.backends.llm_backends import LLM_BACKENDS
from ecot_annotate.cli import main
from ecot_annotate.cli.config_options import (
    SectionedCommand,
    SettingArgument,
    SettingOption,
    config_options,
    parsed_config,
)
from ecot_annotate.config import AnnotateConfig, LLMConfig, PerceptionConfig
from ecot_annotate.reasoners import REASONERS
from ecot_annotate.setting import declared, section, setting
from ecot_annotate.sources import SOURCES
from pipelines.formats import FORMATS

RUN_OPTIONS = {"--dry-run", "--runner", "--direct-running-mode"}  # how to run, not what


def _annotate() -> click.Command:
    with click.Context(main) as ctx:
        return main.get_command(ctx, "annotate")


def _command(config: type) -> click.Command:
    """A command taking `config`'s settings that prints the config they build."""

    @click.command(cls=SectionedCommand)
    @config_options(config)
    @click.pass_context
    def show(ctx: click.Context, **_: object) -> None:
        click.echo(repr(parsed_config(config, ctx)))

    return show


def _options(command: click.Command) -> dict[str, click.Option]:
    return {name: p for p in command.params if isinstance(p, click.Option) for name in p.opts}


def test_every_setting_is_one_option_of_annotate_and_every_option_a_setting():
    command = _annotate()
    settings = [found.option for found in declared(AnnotateConfig) if not found.setting.argument]
    options = [p for p in command.params if isinstance(p, click.Option)]
    assert len(settings) == len(set(settings))
    assert sorted(settings) == sorted(p.opts[0] for p in options if isinstance(p, SettingOption))
    assert {p.opts[0] for p in options if not isinstance(p, SettingOption)} == RUN_OPTIONS
    (argument,) = [p for p in command.params if isinstance(p, click.Argument)]
    assert isinstance(argument, SettingArgument) and argument.found.path == ("input",)


def test_choices_come_from_the_registries():
    options = _options(_command(AnnotateConfig))  # derived now: other tests register entries
    assert options["--detector"].type.choices == ("none", *DETECTORS.names())
    assert options["--reasoner"].type.choices == REASONERS.names()
    assert options["--source"].type.choices == ("auto", *SOURCES.names())
    assert options["--llm-backend"].type.choices == LLM_BACKENDS.names()
    assert options["--format"].help == f"Comma-separated: {', '.join(FORMATS.names())}."
    backends = [LLM_BACKENDS.get(name).help for name in LLM_BACKENDS.names()]
    assert options["--llm-backend"].help == "; ".join(backends) + "."


def test_the_parsed_options_build_the_config_a_hand_written_one_would():
    typed = [
        *("in", "--out", "o", "--format", "rlds, parquet", "--limit", "3", "--control-hz", "10"),
        *("--no-tracks", "--batch-size", "2", "--detector", "owlv2", "--overwrite"),
        *(
            "--no-cache",
            "--llm-timeout",
            "5",
            "--max-fallback-rate",
            "0.5",
            "--llm-batch-size",
            "4",
        ),
    ]
    expected = AnnotateConfig(
        input="in",
        out="o",
        formats=("rlds", "parquet"),
        limit=3,
        control_hz=10.0,
        overwrite=True,
        perception=PerceptionConfig(tracks=False, batch_size=2, detector="owlv2"),
        llm=LLMConfig(cache=False, timeout_s=5.0, max_fallback_rate=0.5, batch_size=4),
    )
    result = CliRunner().invoke(_command(AnnotateConfig), typed)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == repr(expected)
    plain = CliRunner().invoke(_command(AnnotateConfig), ["in", "--out", "o"])
    assert plain.output.strip() == repr(AnnotateConfig(input="in", out="o"))


def test_bounds_and_choices_are_refused_in_one_line():
    runner = CliRunner()
    for typed, message in [
        (["--max-fallback-rate", "2"], "0.0<=x<=1.0"),
        (["--llm-max-text-chars", "3"], "16<=x<=1000"),
        (["--device", "tpu"], "'tpu' is not one of 'auto', 'cpu', 'cuda'"),
    ]:
        result = runner.invoke(_command(AnnotateConfig), ["in", "--out", "o", *typed])
        assert result.exit_code == 2 and message in result.output, result.output


@dataclass(frozen=True)
class _LouderLLM(LLMConfig):
    volume: int = setting(3, help="How loud the model speaks.", low=1, high=11)


@dataclass(frozen=True)
class _Extended(AnnotateConfig):
    llm: _LouderLLM = section(_LouderLLM, "llm-", "LLM")
    shine: str = setting("matt", help="The finish: {choices}.", choices=("matt", "gloss"))
    polish: bool = setting(False, help="Polish every episode.")


def test_a_new_setting_is_one_field_with_its_help():
    command = _command(_Extended)
    help_text = CliRunner().invoke(command, ["--help"]).output
    assert "--shine [matt|gloss]" in help_text and "The finish: matt, gloss." in help_text
    assert "--polish" in help_text and "Polish every episode." in help_text
    assert "--llm-volume INTEGER RANGE" in help_text and "How loud the model speaks." in help_text
    assert help_text.index("LLM:") < help_text.index("--llm-volume")
    typed = ["in", "--out", "o", "--shine", "gloss", "--polish", "--llm-volume", "11"]
    result = CliRunner().invoke(command, typed)
    expected = _Extended(input="in", out="o", shine="gloss", polish=True, llm=_LouderLLM(volume=11))
    assert result.output.strip() == repr(expected)
