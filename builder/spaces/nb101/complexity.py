"""Parameters and FLOPs of an NB101 network, counted from the cell without building it.

The ``archs`` table's ``params``/``flops`` describe the benchmark's own training network (stem
128, 3 stacks of 3 modules, 10 classes, 32x32 images): NAS-Bench-101 reports that network's
trainable parameters, and 423,624 torch models would take hours to build.  Every module's size
follows from the vertex channels (:func:`vertex_channels`), so the counts are sums over the
cell's vertices; the tests compare them with real torch models (:class:`models.Network`).

FLOPs are multiply-accumulates of the convolutions and the classifier on one 32x32 image (the
usual "FLOPs" of benchmark tables); batch norm, ReLU, pooling and additions are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from .graph import CONV1X1, CONV3X3, CellSpec, vertex_channels

_KERNEL_AREA = {CONV3X3: 9, CONV1X1: 1}


@dataclass(frozen=True)
class Complexity:
    """Trainable parameters and multiply-accumulates of one network."""

    params: int
    flops: int


def _conv_bn(in_channels: int, out_channels: int, kernel_area: int, pixels: int) -> Complexity:
    """A bias-free convolution and its batch norm (scale and shift are trainable)."""
    weights = in_channels * out_channels * kernel_area
    return Complexity(weights + 2 * out_channels, weights * pixels)


def _cell(spec: CellSpec, in_channels: int, out_channels: int, pixels: int) -> Complexity:
    channels = vertex_channels(spec, in_channels, out_channels)
    parts = [_conv_bn(channels[v], channels[v], _KERNEL_AREA[spec.ops[v]], pixels)
             for v in range(1, spec.output) if spec.ops[v] in _KERNEL_AREA]
    parts += [_conv_bn(in_channels, channels[v], 1, pixels)  # the 1x1 input projections
              for v in range(1, spec.output + 1) if spec.edge(0, v)]
    return Complexity(sum(p.params for p in parts), sum(p.flops for p in parts))


def network_complexity(spec: CellSpec, stem_channels: int = 128, num_stacks: int = 3,
                       modules_per_stack: int = 3, num_labels: int = 10,
                       image_size: int = 32) -> Complexity:
    """Parameters and FLOPs of :class:`models.Network` for ``spec`` (defaults: NB101's own)."""
    side = image_size
    total = [_conv_bn(3, stem_channels, 9, side * side)]
    in_channels = out_channels = stem_channels
    for stack in range(num_stacks):
        if stack > 0:
            side //= 2
            out_channels *= 2
        for _ in range(modules_per_stack):
            total.append(_cell(spec, in_channels, out_channels, side * side))
            in_channels = out_channels
    classifier = out_channels * num_labels
    return Complexity(sum(p.params for p in total) + classifier + num_labels,
                      sum(p.flops for p in total) + classifier)
