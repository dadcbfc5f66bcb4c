"""NATS-Bench size space (sss): 8^5 = 32,768 channel configurations of one fixed cell.

Arch ids are the benchmark's indices: ``itertools.product`` order over the five positions'
channel candidates, last position fastest, i.e. ``index = sum_k pos(c_k) * 8^(4 - k)``
(checked against the official NATS-sss meta file).  The arch string is ``c0:c1:c2:c3:c4``
(parsed by :mod:`naswot_db.core.encodings.nats_sss`, which holds the channel list).
"""

from __future__ import annotations

import functools
import itertools
import numbers
from pathlib import Path
from typing import Any

import pyarrow as pa
from torch import nn

from naswot_db.core.encodings import EncodingError
from naswot_db.core.encodings.nats_sss import (
    ARCH_COUNT, CHANNELS, LAYERS, channels_of, format_channels, index_of, parse_channels,
)

from .base import GroundTruth, Space, SpaceError, listed_arch_table
from .nats_cells import parse_arch_str
from naswot_db.builder.formats.nats import read_nats_results
from .tiny_network import DynamicShapeTinyNet

# the cell every sss network uses (the best tss cell), from the benchmark's net config
GENOTYPE = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
            "+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")


@functools.cache
def benchmark_arch_strs() -> tuple[str, ...]:
    """Every channel configuration's arch string, in benchmark index order."""
    return tuple(format_channels(channels)
                 for channels in itertools.product(CHANNELS, repeat=LAYERS))


def resolve_arch(arch: Any) -> tuple[int, tuple[int, ...]]:
    """(index, channels) for an index or a ``c0:c1:c2:c3:c4`` string."""
    if isinstance(arch, str):
        try:
            channels = parse_channels(arch)
        except EncodingError as exc:
            raise SpaceError(str(exc)) from None
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
