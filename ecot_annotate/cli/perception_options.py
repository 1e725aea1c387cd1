"""The perception options of `annotate` (detector, segmenter, captioner, thresholds, batching, device), as one
decorator, and the PerceptionConfig they build."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

import click

from ecot_annotate.backends.captioner import CAPTIONERS
from ecot_annotate.backends.detectors import DETECTORS
from ecot_annotate.backends.segmenter import SEGMENTERS
from ecot_annotate.config import LLMConfig, PerceptionConfig

_DEFAULTS = PerceptionConfig()
# fmt: off
# fmt: off
_OPTIONS = (
    click.option("--detector", type=click.Choice(["none", *DETECTORS.names()]), default=_DEFAULTS.detector, show_default=True, help="Open-vocabulary detector for object boxes and the gripper."),
    click.option("--detector-model", default=None, help="Hub id or local folder (default: IDEA-Research/grounding-dino-tiny, google/owlv2-base-patch16-ensemble)."),
    click.option("--segmenter", type=click.Choice(["none", *SEGMENTERS.names()]), default=_DEFAULTS.segmenter, show_default=True, help="Mask the gripper inside its box for a steadier point."),
    click.option("--segmenter-model", default=None, help="Hub id or local folder (default: facebook/sam-vit-base)."),
    click.option("--captioner", type=click.Choice(["none", *CAPTIONERS.names()]), default=_DEFAULTS.captioner, show_default=True, help="Caption each episode's first frame (feeds the object vocabulary and the LLM prompt): an image-text-to-text model, or an OpenAI-compatible server that takes images (--llm-base-url, key in --llm-api-key-env)."),
    click.option("--captioner-model", default=None, help="transformers: hub id or local folder (default: Qwen/Qwen2.5-VL-3B-Instruct); openai: the served model name (default: --llm-model)."),
    click.option("--box-threshold", type=float, default=_DEFAULTS.box_threshold, show_default=True, help="Minimum box score (ECoT: 0.3)."),
    click.option("--text-threshold", type=float, default=_DEFAULTS.text_threshold, show_default=True, help="Minimum mean token score of a box's phrase (ECoT: 0.2)."),
    click.option("--gripper-prompt", default=_DEFAULTS.gripper_prompt, show_default=True, help="What the detector is asked to find as the gripper."),
    click.option("--gripper-fit", type=click.Choice(["ransac-projective", "affine"]), default=_DEFAULTS.gripper_fit, show_default=True, help="State xyz -> pixel model fitted per episode."),
    click.option("--tracks/--no-tracks", default=_DEFAULTS.tracks, show_default=True, help="Give each detected object one id across the episode (fills gaps, drops flickers)."),
    click.option("--batch-size", type=int, default=_DEFAULTS.batch_size, show_default=True, help="Frames per model call, across episodes."),
    click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=_DEFAULTS.device, show_default=True, help="Where the models run: auto takes a GPU when there is one, else the CPU."),
)
# fmt: on
# fmt: on


def perception_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def pop_perception_config(options: dict[str, Any]) -> PerceptionConfig:
    """Build the PerceptionConfig from (and remove) the perception values among a command's keyword arguments."""
    return PerceptionConfig(**{f.name: options.pop(f.name) for f in fields(PerceptionConfig)})


def hub_models(config: PerceptionConfig, llm: LLMConfig) -> list[str]:
    """The models this configuration loads through transformers (hub ids or folders)."""
    from ecot_annotate.backends.captioner import captioner_model
    from ecot_annotate.stages.perception import detector_model, segmenter_model

    models = []
    if config.detector != "none":
        models.append(detector_model(config))
        if config.segmenter != "none":
            models.append(segmenter_model(config))
    if config.captioner == "transformers":
        models.append(captioner_model(config, llm))
    return models
