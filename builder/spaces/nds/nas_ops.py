"""The operations of pycls's NAS cells (DARTS, ENAS, PNAS, NASNet, Amoeba genotypes).

Each op is created in pycls's parameter order, with PyTorch's default initialisation (the NAS
networks are not re-initialised), so a net built right after ``torch.manual_seed(s)`` has the
reference's weights.  Class names mirror pycls where the reference's hook rule cares: only
``ReLUConvBN`` has ``ReLU`` in its name; ``conv_1x1``/``conv_3x3`` and the factorised convs are
plain ``nn.Sequential``s, whose inner ``nn.ReLU`` alone is hooked.
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from ..ops import FactorizedReduce, Identity, Zero


def _depthwise_pointwise(c_in: int, c_out: int, kernel: int, stride: int, padding: int,
                         dilation: int) -> list[nn.Module]:
    """ReLU, depthwise conv, pointwise conv, BN: one half of pycls's separable convs."""
    return [
        nn.ReLU(inplace=False),
        nn.Conv2d(c_in, c_in, kernel, stride=stride, padding=padding, dilation=dilation,
                  groups=c_in, bias=False),
        nn.Conv2d(c_in, c_out, 1, padding=0, bias=False),
        nn.BatchNorm2d(c_out),
    ]


class DilConv(nn.Module):
    """pycls ``DilConv``: one dilated depthwise-pointwise block."""

    def __init__(self, c: int, kernel: int, stride: int, padding: int, dilation: int) -> None:
        super().__init__()
        self.op = nn.Sequential(*_depthwise_pointwise(c, c, kernel, stride, padding, dilation))

    def forward(self, x):
        return self.op(x)


class SepConv(nn.Module):
    """pycls ``SepConv`` (and ``DilSepConv`` with dilation > 1): two blocks, stride in the first."""

    def __init__(self, c: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> None:
        super().__init__()
        self.op = nn.Sequential(
            *_depthwise_pointwise(c, c, kernel, stride, padding, dilation),
            *_depthwise_pointwise(c, c, kernel, 1, padding, dilation),
        )

    def forward(self, x):
        return self.op(x)


class DilSepConv(SepConv):
    """pycls ``DilSepConv``: a separable conv with dilation 2."""


def _relu_conv_bn(c: int, kernel: int, stride: int) -> nn.Sequential:
    """pycls ``conv_1x1``/``conv_3x3``: a plain Sequential, not a ``ReLUConvBN``."""
    return nn.Sequential(nn.ReLU(inplace=False),
                         nn.Conv2d(c, c, kernel, stride=stride, padding=kernel // 2, bias=False),
                         nn.BatchNorm2d(c))


def _factorised_conv(c: int, kernel: int, stride: int) -> nn.Sequential:
    """pycls ``conv_3x1_1x3``/``conv_7x1_1x7``: a 1xk then a kx1 conv, stride split between them."""
    pad = kernel // 2
    return nn.Sequential(
        nn.ReLU(inplace=False),
        nn.Conv2d(c, c, (1, kernel), stride=(1, stride), padding=(0, pad), bias=False),
        nn.Conv2d(c, c, (kernel, 1), stride=(stride, 1), padding=(pad, 0), bias=False),
        nn.BatchNorm2d(c),
    )


def _skip(c: int, stride: int) -> nn.Module:
    if stride == 1:
        return Identity()
    if c % 2:
        raise ValueError(f"skip_connect with stride 2 needs an even channel count, got {c} "
                         "(pycls's FactorizedReduce asserts it)")
    return FactorizedReduce(c, c, 2)


OpFactory = Callable[[int, int], nn.Module]

# op name -> factory(channels, stride), as pycls's OPS (always affine BN)
NAS_OPS: dict[str, OpFactory] = {
    "none": lambda c, stride: Zero(c, c, stride),
    "avg_pool_2x2": lambda c, stride: nn.AvgPool2d(2, stride=stride, padding=0,
                                                   count_include_pad=False),
    "avg_pool_3x3": lambda c, stride: nn.AvgPool2d(3, stride=stride, padding=1,
                                                   count_include_pad=False),
    "avg_pool_5x5": lambda c, stride: nn.AvgPool2d(5, stride=stride, padding=2,
                                                   count_include_pad=False),
    "max_pool_2x2": lambda c, stride: nn.MaxPool2d(2, stride=stride, padding=0),
    "max_pool_3x3": lambda c, stride: nn.MaxPool2d(3, stride=stride, padding=1),
    "max_pool_5x5": lambda c, stride: nn.MaxPool2d(5, stride=stride, padding=2),
    "max_pool_7x7": lambda c, stride: nn.MaxPool2d(7, stride=stride, padding=3),
    "skip_connect": _skip,
    "conv_1x1": lambda c, stride: _relu_conv_bn(c, 1, stride),
    "conv_3x3": lambda c, stride: _relu_conv_bn(c, 3, stride),
    "sep_conv_3x3": lambda c, stride: SepConv(c, 3, stride, 1),
    "sep_conv_5x5": lambda c, stride: SepConv(c, 5, stride, 2),
    "sep_conv_7x7": lambda c, stride: SepConv(c, 7, stride, 3),
    "dil_conv_3x3": lambda c, stride: DilConv(c, 3, stride, 2, 2),
    "dil_conv_5x5": lambda c, stride: DilConv(c, 5, stride, 4, 2),
    "dil_sep_conv_3x3": lambda c, stride: DilSepConv(c, 3, stride, 2, 2),
    "conv_3x1_1x3": lambda c, stride: _factorised_conv(c, 3, stride),
    "conv_7x1_1x7": lambda c, stride: _factorised_conv(c, 7, stride),
}
