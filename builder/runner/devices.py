"""Which device a build, and each of its workers, scores on."""

from __future__ import annotations

import torch

from .config import BuildError


def resolve_device(text: str) -> torch.device:
    """``auto`` -> first CUDA device if any, else CPU; ``cuda[:i]`` must exist."""
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(text)
    except RuntimeError:
        raise BuildError(f"unknown device {text!r}; use auto, cpu, cuda or cuda:i") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise BuildError(f"device {text!r} requested but CUDA is not available here")
        if (device.index or 0) >= torch.cuda.device_count():
            raise BuildError(f"device {text!r} does not exist: "
                             f"{torch.cuda.device_count()} CUDA device(s) here")
    elif device.type != "cpu":
        raise BuildError(f"unsupported device {text!r}; use auto, cpu, cuda or cuda:i")
    return device


def worker_devices(device: torch.device, workers: int) -> list[torch.device]:
    """One device per local worker: ``cuda`` without an index spreads them over every GPU."""
    if device.type != "cuda" or device.index is not None:
        return [device] * workers
    count = torch.cuda.device_count()
    return [torch.device("cuda", index % count) for index in range(workers)]
