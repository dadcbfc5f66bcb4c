"""Slow, obviously-correct Suite-Zero proxies written from PROXIES.md section 1, for tests and
the proxy-suite benchmark only.

Each function runs one proxy the way NASLib's ``find_measures`` does: on a deep copy of the
network, with its own forward/backward, with the reference's hooks or weight masks, and explicit
per-layer loops.  Per-layer sums are taken in float64 (the reference's float32 sums round
differently on sums that cancel).  They share nothing with the production scorers.  ``zen``
draws from one seeded generator in the order the production code documents (weights in
``modules()`` order, then x1, then x2), and reads the pre-pool features of our NB201/NATS
network (stem, cells, last BN-ReLU) directly.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def layers_of(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def ce_backward(net: nn.Module, images, labels) -> nn.Module:
    """A deep copy in train mode after one cross-entropy forward/backward."""
    net = copy.deepcopy(net).train()
    net.zero_grad()
    logits = net(images)[0]
    F.cross_entropy(logits, labels).backward()
    return net


def slow_grad_norm(net, images, labels) -> float:
    net = ce_backward(net, images, labels)
    return sum(layer.weight.grad.norm().item() if layer.weight.grad is not None else 0.0
               for layer in layers_of(net))


def slow_plain(net, images, labels) -> float:
    net = ce_backward(net, images, labels)
    return sum((layer.weight.grad * layer.weight).double().sum().item()
               for layer in layers_of(net) if layer.weight.grad is not None)


def slow_l2_norm(net, images, labels) -> float:
    return sum(layer.weight.norm().item() for layer in layers_of(net))


def slow_snip(net, images, labels) -> float:
    """Weight masks of ones, the weights frozen, |dL/dmask| summed."""
    net = copy.deepcopy(net).train()
    for layer in layers_of(net):
        layer.weight_mask = nn.Parameter(torch.ones_like(layer.weight))
        layer.weight.requires_grad = False
        if isinstance(layer, nn.Conv2d):
            layer.forward = (lambda x, m=layer: F.conv2d(
                x, m.weight * m.weight_mask, m.bias, m.stride, m.padding, m.dilation, m.groups))
        else:
            layer.forward = lambda x, m=layer: F.linear(x, m.weight * m.weight_mask, m.bias)
    F.cross_entropy(net(images)[0], labels).backward()
    return sum(layer.weight_mask.grad.abs().sum().item() for layer in layers_of(net))


def slow_fisher(net, images, labels) -> float:
    """An identity ``dummy`` after each Conv/Linear whose backward hook accumulates
    0.5 * mean_n (sum_hw act * grad)^2; |F_k| broadcast over each channel's weights."""
    net = copy.deepcopy(net).train()
    for layer in layers_of(net):
        layer.fisher = None
        layer.dummy = nn.Identity()
        original = layer.forward

        def forward(x, m=layer, original=original):
            m.act = m.dummy(original(x))
            return m.act

        def hook(module, grad_input, grad_output, m=layer):
            act, grad = m.act.detach(), grad_output[0].detach()
            g_nk = (act * grad).sum([2, 3]) if act.dim() == 4 else act * grad
            del_k = 0.5 * (g_nk ** 2).mean(0)
            m.fisher = del_k if m.fisher is None else m.fisher + del_k

        layer.forward = forward
        layer.dummy.register_full_backward_hook(hook)
    F.cross_entropy(net(images)[0], labels).backward()
    total = 0.0
    for layer in layers_of(net):
        if layer.fisher is None:
            continue
        broadcast = torch.stack([torch.full(layer.weight.shape[1:], v.item(), dtype=torch.float64)
                                 for v in layer.fisher.abs()])
        total += broadcast.sum().item()
    return total


def slow_grasp(net, images, labels) -> float:
    net = copy.deepcopy(net).train()
    weights = [layer.weight for layer in layers_of(net)]
    g = torch.autograd.grad(F.cross_entropy(net(images)[0], labels), weights, allow_unused=True)
    net.zero_grad()
    grad_f = torch.autograd.grad(F.cross_entropy(net(images)[0], labels), weights,
                                 create_graph=True, allow_unused=True)
    z = 0
    for gw, gf in zip(g, grad_f):
        if gw is not None:
            z = z + (gw.data * gf).sum()
    z.backward()
    return sum((-w.data * w.grad).double().sum().item() for w in weights if w.grad is not None)


def pearson(rows: np.ndarray) -> np.ndarray:
    count = len(rows)
    corr = np.empty((count, count))
    for i in range(count):
        for j in range(count):
            a, b = rows[i] - rows[i].mean(), rows[j] - rows[j].mean()
            corr[i, j] = (a @ b) / math.sqrt((a @ a) * (b @ b))
    return corr


def slow_epe_nas(net, images, labels) -> float:
    net = copy.deepcopy(net).train()
    x = images.clone().requires_grad_(True)
    y = net(x)[0]
    y.backward(torch.ones_like(y))
    rows = x.grad.reshape(len(x), -1).double().numpy()
    per_class: dict[int, float] = {}
    for label in dict.fromkeys(labels.tolist()):
        members = rows[labels.numpy() == label]
        corr = np.ones((1, 1)) if len(members) == 1 else pearson(members)
        per_class[label] = float(np.log(np.abs(corr) + 1e-5).sum())
    assert y.shape[1] <= 100  # the sum-of-|s_c| branch
    return sum(abs(s) for s in per_class.values())


def slow_jacov(net, images, labels=None) -> float:
    """The sum-of-logits input gradient's rows, their Pearson matrix, its eigenvalues."""
    net = copy.deepcopy(net).train()
    x = images.clone().requires_grad_(True)
    y = net(x)[0]
    y.backward(torch.ones_like(y))
    eigenvalues = np.linalg.eigvalsh(pearson(x.grad.reshape(len(x), -1).double().numpy()))
    return -sum(math.log(v + 1e-5) + 1.0 / (v + 1e-5) for v in eigenvalues)


def slow_nwot(net, images, labels) -> float:
    net = copy.deepcopy(net).train()
    n = len(images)
    kernel = torch.zeros(n, n, dtype=torch.float64)

    def hook(module, inputs, output):
        nonlocal kernel
        codes = (inputs[0] > 0).double().reshape(n, -1)
        kernel = kernel + codes @ codes.T + (1 - codes) @ (1 - codes).T

    for module in net.modules():
        if type(module) is nn.ReLU:
            module.register_forward_hook(hook)
    with torch.no_grad():
        net(images)
    return float(np.linalg.slogdet(kernel.numpy())[1])


def slow_synflow(net, images, labels) -> float:
    net = copy.deepcopy(net)
    for module in net.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            module.forward = lambda x: x
    net.double()
    with torch.no_grad():
        for tensor in net.state_dict().values():
            tensor.abs_()
    ones = torch.ones([1] + list(images.shape[1:]), dtype=torch.float64)
    torch.sum(net(ones)[0]).backward()
    return sum((layer.weight * layer.weight.grad).abs().sum().item()
               for layer in layers_of(net) if layer.weight.grad is not None)


def slow_zen(net, images, labels, seed: int = 0) -> float:
    """Gaussian re-init and inputs from one generator (our documented draw order: weights in
    modules() order, then x1, then x2); features entering the global average pool."""
    net = copy.deepcopy(net).train()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.weight.normal_(0, 1, generator=generator)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.fill_(1)
                module.bias.zero_()
                module.running_var.fill_(1)
                module.running_mean.zero_()
        x1 = torch.randn(images.shape, generator=generator)
        x2 = torch.randn(images.shape, generator=generator)

        def before_pool(x):
            feature = net.stem(x)
            for cell in net.cells:
                feature = cell(feature)
            return net.lastact(feature)

        out1, out2 = before_pool(x1), before_pool(x1 + 0.01 * x2)
        delta = torch.mean(torch.sum(torch.abs(out1 - out2), dim=[1, 2, 3]))
        bn = sum(math.log(math.sqrt(m.running_var.mean().item()))
                 for m in net.modules() if isinstance(m, nn.BatchNorm2d))
    return math.log(delta.item()) + bn


REFERENCE = {"grad_norm": slow_grad_norm, "plain": slow_plain, "l2_norm": slow_l2_norm,
        "snip": slow_snip, "fisher": slow_fisher, "grasp": slow_grasp,
        "epe_nas": slow_epe_nas, "jacov": slow_jacov, "nwot": slow_nwot,
        "synflow": slow_synflow, "zen": slow_zen}
