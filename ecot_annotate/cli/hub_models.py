"""The models an annotate run loads through transformers, so the run can settle hub access once."""

from __future__ import annotations

from ecot_annotate.config import LLMConfig, PerceptionConfig


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
