"""Operations shared by the cell-based spaces (NAS-Bench-201 / NATS-Bench and the NDS cells).

Modules are created in the reference's order (each Conv2d draws its initial weights from the
torch RNG when constructed), so a network built right after ``torch.manual_seed(s)`` has the
reference's weights.  ``ReLUConvBN`` mirrors the reference class of the same name, which the
reference's ``'ReLU' in str(type(m))`` rule hooks in addition to its inner ``nn.ReLU``.
"""

from __future__ import annotations

import torch
from torch import nn


class ReLUConvBN(nn.Module):
    """ReLU -> Conv (no bias) -> BatchNorm; hooked by the reference as a whole, too."""

    counts_as_reference_relu = True

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int,
                 dilation: int = 1) -> None:
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation,
                      bias=False),
            nn.BatchNorm2d(c_out),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Pooling(nn.Module):
    """3x3 pooling, preceded by a 1x1 ReLUConvBN when the channel count changes."""

    def __init__(self, c_in: int, c_out: int, stride: int, mode: str) -> None:
        super().__init__()
        self.preprocess = None if c_in == c_out else ReLUConvBN(c_in, c_out, 1, 1, 0)
        if mode == "avg":
            self.op: nn.Module = nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
        else:
            self.op = nn.MaxPool2d(3, stride=stride, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.preprocess(x) if self.preprocess is not None else x
        if x.device.type == "cpu" and x.dim() == 4:
            # PyTorch's CPU pooling kernel for channels-last input sums each window in the same
            # order, so the result is bit-identical, and it is twice as fast as NCHW.
            return self.op(x.contiguous(memory_format=torch.channels_last)).contiguous()
        return self.op(x)


class Identity(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class Zero(nn.Module):
    """The ``none`` op: multiplies by zero, which keeps the autograd graph (and liveness)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.c_in, self.c_out, self.stride = c_in, c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.c_in == self.c_out:
            return x.mul(0.0) if self.stride == 1 else x[:, :, :: self.stride, :: self.stride].mul(0.0)
        shape = list(x.shape)
        shape[1] = self.c_out
        return x.new_zeros(shape)


class FactorizedReduce(nn.Module):
    """Skip connection that changes shape: two offset 1x1 convs (stride 2) or one (stride 1).

    Its ``relu`` exists in both cases (as in the reference) but runs only for stride 2.
    """

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self.relu = nn.ReLU(inplace=False)
        if stride == 2:
            halves = [c_out // 2, c_out - c_out // 2]
            self.convs = nn.ModuleList(
                nn.Conv2d(c_in, half, 1, stride=2, padding=0, bias=False) for half in halves)
            self.pad = nn.ConstantPad2d((0, 1, 0, 1), 0)
        elif stride == 1:
            self.conv = nn.Conv2d(c_in, c_out, 1, stride=1, padding=0, bias=False)
        else:
            raise ValueError(f"invalid stride {stride}")
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 2:
            x = self.relu(x)
            shifted = self.pad(x)
            out = torch.cat([self.convs[0](x), self.convs[1](shifted[:, :, 1:, 1:])], dim=1)
        else:
            out = self.conv(x)
        return self.bn(out)
