"""Which device a build, and each of its workers, scores on."""

from __future__ import annotations

import torch

from .config import BuildError

# Where one single-thread process per CPU thread starts to beat one process using them all
# (README, Benchmarks; 2-core VM, 2026-12-02): 30 NB201 archs were built 1.05x faster by one
# 2-thread process (the second process's start-up), 500 archs 1.12x faster and 5,000 NB101
# cells 1.06x faster by two 1-thread processes; fitting start-up plus rate to the two NB201
# sizes puts the crossing near 44 scorings.
ONE_PER_THREAD_FROM = 50


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


def default_workers(device: torch.device, engine: str, scorings: int, sendable: bool) -> int:
    """Workers of a build that names no ``--workers``: on a CPU, one single-thread process per
    torch thread (the cores, or ``--threads``) once the build queues ``ONE_PER_THREAD_FROM``
    scorings or more, as measured fastest; one process below that, on a GPU or Ray (not
    measured there), and for a score plug-in that cannot be sent to other processes."""
    if engine != "local" or device.type != "cpu" or not sendable:
        return 1
    return torch.get_num_threads() if scorings >= ONE_PER_THREAD_FROM else 1
