"""NAS-Bench-201 / NATS-Bench topology space: 15,625 cells, TinyNetwork C=16 N=5.

Arch ids are the benchmark's indices: all 5^6 cells in ``CellStructure.gen_all`` order,
shuffled with Python's ``random.seed(88)`` (checked against the official NATS meta file).
"""

from __future__ import annotations

import functools
import itertools
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
from torch import nn

from naswot_db.core.encodings.nb201 import EDGES, NODES, OPS

from .base import GroundTruth, Space, SpaceError, listed_arch_table
from .nats_cells import parse_arch_str
from naswot_db.builder.formats.nats import read_nats_results
from .tiny_network import DynamicShapeTinyNet

ARCH_COUNT = len(OPS) ** EDGES
_SHUFFLE_SEED = 88
# TinyNetwork C=16, N=5: 5 cells, reduction block + 5 cells at 32, reduction block + 5 cells at 64
LAYER_CHANNELS = [16] * 5 + [32] * 6 + [64] * 6


@functools.cache
def benchmark_arch_strs() -> tuple[str, ...]:
    """Every cell's arch string, in benchmark index order."""
    node_choices = [
        ["|" + "|".join(f"{op}~{source}" for source, op in enumerate(ops)) + "|"
         for ops in itertools.product(OPS, repeat=node)]
        for node in range(1, NODES + 1)
    ]
    strs = ["+".join(nodes) for nodes in itertools.product(*node_choices)]
    random.Random(_SHUFFLE_SEED).shuffle(strs)
    return tuple(strs)


@functools.cache
def _index_of() -> dict[str, int]:
    return {arch: index for index, arch in enumerate(benchmark_arch_strs())}


def resolve_arch(arch: Any) -> tuple[int, str]:
    """(index, arch string) for an index or an arch string of the benchmark."""
    strs = benchmark_arch_strs()
    if isinstance(arch, str):
        if arch not in _index_of():
            raise SpaceError(f"{arch!r} is not an NB201 arch string")
        return _index_of()[arch], arch
    index = int(arch)
    if not 0 <= index < len(strs):
        raise SpaceError(f"NB201 arch id {index} out of range 0..{len(strs) - 1}")
    return index, strs[index]


class NB201Space(Space):
    """NAS-Bench-201 (and NATS-Bench tss: the same cells and indices)."""

    name = "nb201"

    def arch_table(self) -> pa.Table:
        return listed_arch_table(self.name, benchmark_arch_strs(),
                                 "NAS-Bench-201 gen_all + random.seed(88)")

    def build_model(self, arch: Any, num_classes: int | None = None) -> nn.Module:
        _, arch_str = resolve_arch(arch)
        return DynamicShapeTinyNet(LAYER_CHANNELS, parse_arch_str(arch_str),
                                   num_classes=num_classes or 1)

    def ingest(self, source: Path) -> GroundTruth:
        return read_nats_results(self.name, source, expected_archs=benchmark_arch_strs())

    def model_config(self) -> dict[str, Any]:
        return {"channels": 16, "cells_per_stage": 5, "num_classes": 1}
