"""pycls's NAS-cell networks (ported from DARTS) as NASWOT builds them for NDS.

``NetworkCIFAR``/``NetworkImageNet(width, 1 output, depth, aux, genotype)`` with drop-path
probability 0, so drop-path is left out.  Parameters are created in pycls's order (stem, cells,
auxiliary head, classifier) with PyTorch's default initialisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..ops import FactorizedReduce, ReLUConvBN
from .features import ReturnFeatureLayer
from .nas_ops import NAS_OPS


@dataclass(frozen=True)
class Genotype:
    """A DARTS-style genotype: per cell type, ``(op, input index)`` pairs and the concat list."""

    normal: tuple[tuple[str, int], ...]
    normal_concat: tuple[int, ...]
    reduce: tuple[tuple[str, int], ...]
    reduce_concat: tuple[int, ...]


class Cell(nn.Module):
    """A NAS cell: two preprocessed inputs, ``len(ops) // 2`` nodes of two ops each."""

    def __init__(self, genotype: Genotype, c_prev_prev: int, c_prev: int, c: int,
                 reduction: bool, reduction_prev: bool) -> None:
        super().__init__()
        if reduction_prev:
            if c % 2:
                raise ValueError(f"a cell after a reduction needs an even width, got {c} "
                                 "(pycls's FactorizedReduce asserts it)")
            self.preprocess0: nn.Module = FactorizedReduce(c_prev_prev, c, 2)
        else:
            self.preprocess0 = ReLUConvBN(c_prev_prev, c, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(c_prev, c, 1, 1, 0)
        pairs, concat = ((genotype.reduce, genotype.reduce_concat) if reduction
                         else (genotype.normal, genotype.normal_concat))
        self._ops = nn.ModuleList(
            NAS_OPS[name](c, 2 if reduction and index < 2 else 1) for name, index in pairs)
        self._indices = [index for _, index in pairs]
        self._concat = list(concat)
        self.multiplier = len(concat)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for step in range(len(self._ops) // 2):
            first, second = 2 * step, 2 * step + 1
            states.append(self._ops[first](states[self._indices[first]])
                          + self._ops[second](states[self._indices[second]]))
        return torch.cat([states[i] for i in self._concat], dim=1)


def _auxiliary_head(c: int, num_classes: int, imagenet: bool) -> nn.Module:
    """pycls's AuxiliaryHeadCIFAR (8x8 input) or AuxiliaryHeadImageNet (no second BN)."""
    layers: list[nn.Module] = [
        nn.ReLU(inplace=True),
        nn.AvgPool2d(5, stride=2 if imagenet else 3, padding=0, count_include_pad=False),
        nn.Conv2d(c, 128, 1, bias=False),
        nn.BatchNorm2d(128),
        nn.ReLU(inplace=True),
        nn.Conv2d(128, 768, 2, bias=False),
    ]
    if not imagenet:
        layers.append(nn.BatchNorm2d(768))
    layers.append(nn.ReLU(inplace=True))
    return AuxiliaryHead(nn.Sequential(*layers), ReturnFeatureLayer(nn.Linear(768, num_classes)))


class AuxiliaryHead(nn.Module):
    """Features then a (wrapped) Linear on the flattened map."""

    def __init__(self, features: nn.Sequential, classifier: ReturnFeatureLayer) -> None:
        super().__init__()
        self.features = features
        self.classifier = classifier

    def forward(self, x: torch.Tensor):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


class Classifier(nn.Module):
    """pycls ``Classifier`` for classification: global average pool, then the Linear."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = ReturnFeatureLayer(nn.Linear(channels, num_classes))

    def forward(self, x: torch.Tensor):
        x = self.pooling(x)
        return self.classifier(x.view(x.size(0), -1))


class _NASNetwork(nn.Module):
    """Cells over a stem; reductions at depth//3 and 2*depth//3; optional auxiliary head.

    In train mode a network with an auxiliary head returns ``(logits, logits_aux)``, each a
    ``(output, features)`` pair, exactly like the reference: the scorer then sees a tuple where
    the reference calls ``y.backward`` and fails.
    """

    imagenet: bool
    static_forward = True  # the same torch calls on every batch of one shape (a tape may replay)

    def _build_cells(self, genotype: Genotype, width: int, depth: int, auxiliary: bool,
                     c_stem: int, reduction_prev: bool, num_classes: int) -> None:
        self._depth = depth
        self._auxiliary = auxiliary
        c_prev_prev, c_prev, c_curr = c_stem, c_stem, width
        self.cells = nn.ModuleList()
        c_to_auxiliary = None
        for i in range(depth):
            reduction = i in (depth // 3, 2 * depth // 3)
            if reduction:
                c_curr *= 2
            cell = Cell(genotype, c_prev_prev, c_prev, c_curr, reduction, reduction_prev)
            reduction_prev = reduction
            self.cells.append(cell)
            c_prev_prev, c_prev = c_prev, cell.multiplier * c_curr
            if i == 2 * depth // 3:
                c_to_auxiliary = c_prev
        if auxiliary:
            self.auxiliary_head = _auxiliary_head(c_to_auxiliary, num_classes, self.imagenet)
        self.classifier = Classifier(c_prev, num_classes)

    def _stems(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def forward(self, x: torch.Tensor):
        s0, s1 = self._stems(x)
        logits_aux = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1)
            if i == 2 * self._depth // 3 and self._auxiliary and self.training:
                logits_aux = self.auxiliary_head(s1)
        logits = self.classifier(s1)
        if self._auxiliary and self.training:
            return logits, logits_aux
        return logits


class NetworkCIFAR(_NASNetwork):
    """CIFAR layout: 3x3 stem to 3*width channels, no stride."""

    imagenet = False

    def __init__(self, width: int, num_classes: int, depth: int, auxiliary: bool,
                 genotype: Genotype) -> None:
        super().__init__()
        c_stem = 3 * width
        self.stem = nn.Sequential(nn.Conv2d(3, c_stem, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(c_stem))
        self._build_cells(genotype, width, depth, auxiliary, c_stem, False, num_classes)

    def _stems(self, x):
        s = self.stem(x)
        return s, s


class NetworkImageNet(_NASNetwork):
    """ImageNet layout: two stride-2 stems (three stride-2 convs in all), in-place ReLUs."""

    imagenet = True

    def __init__(self, width: int, num_classes: int, depth: int, auxiliary: bool,
                 genotype: Genotype) -> None:
        super().__init__()
        half = width // 2
        self.stem0 = nn.Sequential(
            nn.Conv2d(3, half, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(half),
            nn.ReLU(inplace=True),
            nn.Conv2d(half, width, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
        )
        self.stem1 = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
        )
        self._build_cells(genotype, width, depth, auxiliary, width, True, num_classes)

    def _stems(self, x):
        s0 = self.stem0(x)
        # stem1's in-place ReLU rewrites s0 too, as in the reference
        return s0, self.stem1(s0)
