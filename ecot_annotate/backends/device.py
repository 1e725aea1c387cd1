"""Pick the torch device a model runs on from the config's `auto | cpu | cuda`."""

from __future__ import annotations

from ecot_annotate.errors import InputError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> str:
    """'auto' is cuda when a GPU is visible, else cpu; asking for cuda without one is an error."""
    import torch

    if device not in DEVICES:
        raise InputError(f"unknown device '{device}' (choose from {', '.join(DEVICES)})")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError(
            "--device cuda was asked for but torch sees no GPU (use --device auto or cpu)"
        )
    return device
