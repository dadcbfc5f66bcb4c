"""NAS-Bench-101 networks as the reference NASWOT port builds them (``nas_101_api``).

Modules are created in the reference's order (stem; per stack an optional max-pool and the
cells; inside a cell the vertex ops, then the input projections; the classifier), and then
every weight is redrawn in ``modules()`` order with the reference's scheme, so a network built
right after ``torch.manual_seed(s)`` has the reference's weights.  Class names mirror the
reference's (``ConvBnRelu``, with ``Relu``), so the reference's ``'ReLU' in str(type(m))`` rule
matches only the inner ``nn.ReLU`` modules, here as there.

One deliberate difference: when the input also feeds the output, the reference adds its
projection *in place* to the concatenated feeders; we add out of place.  The forward values are
the same, but the in-place version breaks the reference's backward pass when the single feeder
ends in a ReLU (see :func:`nb101_graph.reference_raises`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .graph import CONV1X1, CONV3X3, MAXPOOL3X3, CellSpec, vertex_channels


class ConvBnRelu(nn.Module):
    """Conv (no bias) -> BatchNorm -> ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1,
                 padding: int = 0) -> None:
        super().__init__()
        self.conv_bn_relu = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size, 1, padding, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_bn_relu(x)


def vertex_op(op: str, channels: int) -> nn.Module:
    """The module of one interior vertex (channels in = channels out)."""
    if op == CONV3X3:
        return ConvBnRelu(channels, channels, 3, 1)
    if op == CONV1X1:
        return ConvBnRelu(channels, channels, 1, 0)
    if op == MAXPOOL3X3:
        return nn.MaxPool2d(3, 1, 1)
    raise ValueError(f"unknown NB101 op {op!r}")


class Cell(nn.Module):
    """One module: interior vertices sum their inputs, the output concatenates its feeders.

    Edges from the input always pass through a 1x1 ConvBnRelu projection; an interior edge
    whose source has one channel more than its target keeps the source's first channels.
    """

    def __init__(self, spec: CellSpec, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.spec = spec
        self.channels = vertex_channels(spec, in_channels, out_channels)
        last = spec.output
        self.vertex_ops = nn.ModuleList(
            vertex_op(spec.ops[v], self.channels[v]) for v in range(1, last))
        self.input_projections = nn.ModuleDict(
            (str(v), ConvBnRelu(in_channels, self.channels[v]))
            for v in range(1, last + 1) if spec.edge(0, v))
        self.sources = [[s for s in range(1, v) if spec.edge(s, v)] for v in range(last + 1)]
        self.feeders = spec.output_feeders()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        vertices = [x]
        for v in range(1, self.spec.output):
            width = self.channels[v]
            fan_in = [_truncated(vertices[s], width) for s in self.sources[v]]
            if str(v) in self.input_projections:
                fan_in.append(self.input_projections[str(v)](x))
            total = fan_in[0]
            for term in fan_in[1:]:  # the reference's sum() order
                total = total + term
            vertices.append(self.vertex_ops[v - 1](total))
        last = str(self.spec.output)
        if not self.feeders:
            return self.input_projections[last](x)
        joined = [vertices[v] for v in self.feeders]
        out = joined[0] if len(joined) == 1 else torch.cat(joined, 1)
        if last in self.input_projections:
            out = self.add_projected_input(out, self.input_projections[last](x))
        return out

    def add_projected_input(self, joined: torch.Tensor, projected: torch.Tensor) -> torch.Tensor:
        """Out of place: the reference's ``+=`` breaks its backward pass on a ReLU output."""
        return joined + projected


def _truncated(tensor: torch.Tensor, channels: int) -> torch.Tensor:
    return tensor if tensor.shape[1] == channels else tensor[:, :channels]


class Network(nn.Module):
    """Stem, ``num_stacks`` stacks of cells (max-pool and doubled channels between), mean, Linear.

    Returns ``(logits, features)`` as the reference does.
    """

    static_forward = True  # the same torch calls on every batch of one shape (a tape may replay)

    def __init__(self, spec: CellSpec, stem_channels: int = 16, num_stacks: int = 3,
                 modules_per_stack: int = 3, num_labels: int = 1) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvBnRelu(3, stem_channels, 3, 1)]
        in_channels = out_channels = stem_channels
        for stack in range(num_stacks):
            if stack > 0:
                layers.append(nn.MaxPool2d(2, 2))
                out_channels *= 2
            for _ in range(modules_per_stack):
                layers.append(Cell(spec, in_channels, out_channels))
                in_channels = out_channels
        self.layers = nn.ModuleList(layers)
        self.classifier = nn.Linear(out_channels, num_labels)
        self._reinitialise()

    def _reinitialise(self) -> None:
        """Redraw every weight in ``modules()`` order, as the reference's ``_initialize_weights``."""
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.Conv2d):
                    fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels
                    module.weight.normal_(0, math.sqrt(2.0 / fan_out))
                elif isinstance(module, nn.BatchNorm2d):
                    module.weight.fill_(1)
                    module.bias.zero_()
                elif isinstance(module, nn.Linear):
                    module.weight.normal_(0, 0.01)
                    module.bias.zero_()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for layer in self.layers:
            x = layer(x)
        features = torch.mean(x, (2, 3))
        return self.classifier(features), features
