"""NATS-Bench size space (sss): 8^5 = 32,768 channel configurations of one fixed cell.

Arch ids are the benchmark's indices: ``itertools.product`` order over the five positions'
channel candidates, last position fastest, i.e. ``index = sum_k pos(c_k) * 8^(4 - k)``
(checked against the official NATS-sss meta file).  The arch string is ``c0:c1:c2:c3:c4``.
"""

from __future__ import annotations

import functools
import itertools
import numbers
from pathlib import Path
from typing import Any

import pyarrow as pa
from torch import nn

from .base import GroundTruth, Space, SpaceError, listed_arch_table
from .nats_cells import parse_arch_str
from naswot_db.builder.formats.nats import read_nats_results
from .tiny_network import DynamicShapeTinyNet

CHANNEL_CANDIDATES = (8, 16, 24, 32, 40, 48, 56, 64)
POSITIONS = 5
ARCH_COUNT = len(CHANNEL_CANDIDATES) ** POSITIONS
# the cell every sss network uses (the best tss cell), from the benchmark's net config
GENOTYPE = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
            "+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")


def channels_to_str(channels: tuple[int, ...]) -> str:
    return ":".join(str(c) for c in channels)


@functools.cache
def benchmark_arch_strs() -> tuple[str, ...]:
    """Every channel configuration's arch string, in benchmark index order."""
    return tuple(channels_to_str(channels)
                 for channels in itertools.product(CHANNEL_CANDIDATES, repeat=POSITIONS))


def channels_of(index: int) -> tuple[int, ...]:
    """The five channel counts of arch ``index`` (base-8 digits, most significant first)."""
    digits = []
    for _ in range(POSITIONS):
        index, digit = divmod(index, len(CHANNEL_CANDIDATES))
        digits.append(CHANNEL_CANDIDATES[digit])
    return tuple(reversed(digits))


def index_of(channels: tuple[int, ...]) -> int:
    """The benchmark index of a channel configuration."""
    index = 0
    for channel in channels:
        index = index * len(CHANNEL_CANDIDATES) + CHANNEL_CANDIDATES.index(channel)
    return index


def resolve_arch(arch: Any) -> tuple[int, tuple[int, ...]]:
    """(index, channels) for an index or a ``c0:c1:c2:c3:c4`` string."""
    if isinstance(arch, str):
        parts = arch.split(":")
        if (len(parts) != POSITIONS or not all(p.isdigit() for p in parts)
                or any(int(p) not in CHANNEL_CANDIDATES for p in parts)):
            raise SpaceError(f"{arch!r} is not a NATS-sss arch string: expected {POSITIONS} "
                             f"channel counts from {CHANNEL_CANDIDATES} joined by ':'")
        channels = tuple(int(p) for p in parts)
        return index_of(channels), channels
    if not isinstance(arch, numbers.Integral):
        raise SpaceError(f"NATS-sss arch must be an index or 'c0:c1:c2:c3:c4', got {arch!r}")
    index = int(arch)
    if not 0 <= index < ARCH_COUNT:
        raise SpaceError(f"NATS-sss arch id {index} out of range 0..{ARCH_COUNT - 1}")
    return index, channels_of(index)


class NATSSizeSpace(Space):
    """NATS-Bench size search space (DynamicShapeTinyNet, N = 1, one output unit)."""

    name = "nats-sss"

    def arch_table(self) -> pa.Table:
        return listed_arch_table(self.name, benchmark_arch_strs(),
                                 "NATS-Bench sss: itertools.product of channel candidates")

    def build_model(self, arch: Any, num_classes: int | None = None) -> nn.Module:
        _, channels = resolve_arch(arch)
        return DynamicShapeTinyNet(channels, parse_arch_str(GENOTYPE),
                                   num_classes=num_classes or 1)

    def ingest(self, source: Path) -> GroundTruth:
        """Every epoch budget (01, 12, 90 -> epochs 1, 12, 90), dataset, split and seed."""
        return read_nats_results(self.name, source, expected_archs=benchmark_arch_strs())

    def model_config(self) -> dict[str, Any]:
        return {"genotype": GENOTYPE, "num_classes": 1}
