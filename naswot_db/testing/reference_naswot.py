"""A slow, obviously-correct copy of the reference NASWOT procedure, for tests only.

Hooks every module whose ``str(type(m))`` contains ``ReLU`` (the reference's string rule),
runs pass 1 with a backward pass to mark visited modules, then pass 2 on a clone of the batch,
adding ``c c^T + (1-c)(1-c)^T`` for visited modules in NumPy float64, exactly as
score_networks.py does with maxofn = 1.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch import nn


def reference_naswot(network: nn.Module, x: torch.Tensor) -> float:
    batch = x.shape[0]
    state = {"K": np.zeros((batch, batch))}

    def forward_hook(module, inp, out):
        if not getattr(module, "visited_backwards", False):
            return
        if isinstance(inp, tuple):
            inp = inp[0]
        codes = (inp.view(inp.size(0), -1) > 0).float()
        state["K"] = (state["K"] + (codes @ codes.t()).cpu().numpy()
                      + ((1.0 - codes) @ (1.0 - codes.t())).cpu().numpy())

    def backward_hook(module, grad_in, grad_out):
        module.visited_backwards = True

    handles = []
    for module in network.modules():
        if "ReLU" in str(type(module)):
            handles.append(module.register_forward_hook(forward_hook))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                handles.append(module.register_backward_hook(backward_hook))
    try:
        network.train()
        x1 = x.clone()
        x2 = x.clone()
        network.zero_grad()
        x1.requires_grad_(True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # old-style hooks, as the reference
            y, _ = network(x1)
            y.backward(torch.ones_like(y))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            network(x2)
        return float(np.linalg.slogdet(state["K"])[1])
    finally:
        for handle in handles:
            handle.remove()
        for module in network.modules():
            if hasattr(module, "visited_backwards"):
                del module.visited_backwards


def fast_and_reference_scores(build: Callable[[], nn.Module], x: torch.Tensor,
                              init_seed: int = 0) -> tuple[float, float]:
    """naswot-db's score and the reference procedure's, each on a net built after the same seed."""
    from naswot_db.builder import naswot_score

    torch.manual_seed(init_seed)
    fast = naswot_score(build(), x)
    torch.manual_seed(init_seed)
    return fast, reference_naswot(build(), x)
