"""Cells of NAS-Bench-201 / NATS-Bench (topology and size spaces): op table, arch strings, cells.

Modules are created in the reference's order (each Conv2d draws its initial weights from the
torch RNG when constructed), so a network built right after ``torch.manual_seed(s)`` has the
reference's weights.  ``ReLUConvBN`` mirrors the reference class of the same name, which the
reference's ``'ReLU' in str(type(m))`` rule hooks in addition to its inner ``nn.ReLU``.
"""

from __future__ import annotations

import functools
import operator
from typing import Callable

import torch
from torch import nn

from naswot_db.core.encodings.nb201 import Genotype, parse_genotype

from .ops import FactorizedReduce, Identity, Pooling, ReLUConvBN, Zero


OpFactory = Callable[[int, int, int], nn.Module]

OPS: dict[str, OpFactory] = {
    "none": lambda c_in, c_out, stride: Zero(c_in, c_out, stride),
    "avg_pool_3x3": lambda c_in, c_out, stride: Pooling(c_in, c_out, stride, "avg"),
    "max_pool_3x3": lambda c_in, c_out, stride: Pooling(c_in, c_out, stride, "max"),
    "nor_conv_7x7": lambda c_in, c_out, stride: ReLUConvBN(c_in, c_out, 7, stride, 3),
    "nor_conv_3x3": lambda c_in, c_out, stride: ReLUConvBN(c_in, c_out, 3, stride, 1),
    "nor_conv_1x1": lambda c_in, c_out, stride: ReLUConvBN(c_in, c_out, 1, stride, 0),
    "skip_connect": lambda c_in, c_out, stride: (
        Identity() if stride == 1 and c_in == c_out else FactorizedReduce(c_in, c_out, stride)),
}


def parse_arch_str(arch_str: str) -> Genotype:
    """``|op~0|+|op~0|op~1|`` -> [[(op, 0)], [(op, 0), (op, 1)]], each op one this module
    builds (the one parser of these strings is :mod:`naswot_db.core.encodings.nb201`)."""
    return parse_genotype(arch_str, OPS)


class ResNetBasicBlock(nn.Module):
    """Two ReLUConvBN 3x3 with a residual; stride 2 shortcut is AvgPool then 1x1 conv."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        if stride == 2:
            self.downsample: nn.Module | None = nn.Sequential(
                nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
                nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False))
        elif c_in != c_out:
            self.downsample = ReLUConvBN(c_in, c_out, 1, 1, 0)
        else:
            self.downsample = None
        self.out_dim = c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        block = self.conv_b(self.conv_a(x))
        residual = self.downsample(x) if self.downsample is not None else x
        return residual + block


class InferCell(nn.Module):
    """A fixed cell: node j = sum of op(node i) over its input edges; output = last node."""

    def __init__(self, genotype: Genotype, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.layers = nn.ModuleList()
        self.node_inputs: list[list[tuple[int, int]]] = []
        for node in genotype:
            edges = []
            for op_name, source in node:
                layer = (OPS[op_name](c_in, c_out, stride) if source == 0
                         else OPS[op_name](c_out, c_out, 1))
                edges.append((len(self.layers), source))
                self.layers.append(layer)
            self.node_inputs.append(edges)
        self.out_dim = c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for edges in self.node_inputs:
            # the reference's sum() starts from 0; 0 + t equals t (up to the sign of zero, which
            # no code or later op can see) and costs a full pass, so the fold starts from t
            nodes.append(functools.reduce(
                operator.add, (self.layers[layer](nodes[source]) for layer, source in edges)))
        return nodes[-1]
