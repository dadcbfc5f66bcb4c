"""GraSP (NAS-Bench-Suite-Zero, T=1, one iteration): the sum of ``-W * Hg`` over Conv/Linear
weights.

Reference (PROXIES.md 1, ``grasp.py``): pass 1 takes ``g = dL/dW`` of the cross-entropy loss
(no graph kept); pass 2 runs a new forward, takes ``dL/dW`` with ``create_graph=True`` and
backpropagates ``z = sum(g * dL/dW)``, which leaves the Hessian-gradient product ``Hg`` in each
weight's gradient; the score is ``sum(-W * Hg)`` (the sign flipped by the reference's authors,
no absolute value).  Pass 1 is the shared cross-entropy pass; planned with it
(:meth:`~.passes.SharedPasses.hessian_gradient`), pass 2 backpropagates through pass 1's graph,
whose forward and ``dL/dW`` are the same numbers as pass 2's.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.grasp import INFO

from .passes import HESSIAN, LOSS, passes_for
from .proxy_common import SuiteZeroScorer, layer_total


class GraspScorer(SuiteZeroScorer):
    """Gradient-flow preservation of the cross-entropy loss at initialisation."""

    info = INFO
    reads_passes = frozenset({LOSS, HESSIAN})

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        shared = passes_for(passes, model, images, labels, allow_tf32, plan=self.reads_passes)
        layers = shared.loss_pass().layers
        return layer_total(None if hg is None else -layer.weight.detach() * hg
                           for layer, hg in zip(layers, shared.hessian_gradient()))
