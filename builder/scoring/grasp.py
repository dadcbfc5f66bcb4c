"""GraSP (NAS-Bench-Suite-Zero, T=1, one iteration): the sum of ``-W * Hg`` over Conv/Linear
weights.

Reference (PROXIES.md 1, ``grasp.py``): pass 1 takes ``g = dL/dW`` of the cross-entropy loss
(no graph kept); pass 2 runs a new forward, takes ``dL/dW`` with ``create_graph=True`` and
backpropagates ``z = sum(g * dL/dW)``, which leaves the Hessian-gradient product ``Hg`` in each
weight's gradient; the score is ``sum(-W * Hg)`` (the sign flipped by the reference's authors,
no absolute value).  Pass 1 is the shared cross-entropy pass.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.grasp import INFO

from .passes import passes_for
from .proxy_common import SuiteZeroScorer, class_loss, layer_total
from .reference import float32_precision, network_output


class GraspScorer(SuiteZeroScorer):
    """Gradient-flow preservation of the cross-entropy loss at initialisation."""

    info = INFO

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        first = passes_for(passes, model, images, labels, allow_tf32).loss_pass()
        weights = [layer.weight for layer in first.layers]
        with float32_precision(allow_tf32):
            loss = class_loss(network_output(model.train(), images), labels)
            grad_f = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
            terms = [(g.detach() * f).sum() for g, f in zip(first.gradients, grad_f)
                     if g is not None and f is not None]
            if not terms:
                raise ValueError("the loss reaches no Conv2d/Linear weight")
            hessian_gradient = torch.autograd.grad(sum(terms), weights, allow_unused=True)
        return layer_total(None if hg is None else -w.detach() * hg
                           for w, hg in zip(weights, hessian_gradient))
