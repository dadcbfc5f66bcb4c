"""The Jacobian-covariance score ("jacov") of the NASWOT paper's first version (tag ``v1.0``).

The reference (``search.py``: ``get_batch_jacobian``, ``eval_score``) backpropagates
``y.backward(ones_like(y))`` from the network's first output to the input batch, flattens each
image's gradient into one row, takes NumPy's ``corrcoef`` of the rows, and scores
``-sum(log(v + k) + 1 / (v + k))`` over the eigenvalues ``v`` of that matrix, k = 1e-5.  That
version scored batches of 256 images; the batch size is the build's ``--batch-size``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from naswot_db.scores.jacov import INFO

from .base import Scorer
from .reference import float32_precision, network_output

K = 1e-5


def batch_jacobian(model: nn.Module, images: torch.Tensor) -> np.ndarray:
    """d sum(y) / d x per image, one float64 row per image (as the reference's ``jacob``)."""
    x = images.detach().clone().requires_grad_(True)
    model.zero_grad(set_to_none=True)
    y = network_output(model, x)
    y.backward(torch.ones_like(y))
    if x.grad is None:
        raise ValueError("the network output does not depend on its input")
    return x.grad.detach().reshape(x.shape[0], -1).cpu().numpy()


def jacov_from_jacobian(jacobian: np.ndarray, k: float = K) -> float:
    """``-sum(log(v + k) + 1/(v + k))`` over the eigenvalues of the rows' correlation matrix."""
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant row: NaN, an error row
        correlation = np.corrcoef(jacobian)
    if not np.isfinite(correlation).all():  # np.linalg would only say "infs or NaNs"
        constant = int(np.sum(np.ptp(jacobian, axis=1) == 0))
        raise ValueError(f"the input gradient of {constant} of {len(jacobian)} images is "
                         "constant (or not finite), so their correlations are undefined")
    eigenvalues = np.linalg.eig(correlation)[0]
    if np.iscomplexobj(eigenvalues):  # a symmetric matrix: imaginary parts are rounding
        eigenvalues = eigenvalues.real
    return float(-np.sum(np.log(eigenvalues + k) + 1.0 / (eigenvalues + k)))


class JacovScorer(Scorer):
    """Jacobian covariance; the model stays in train mode, as in the reference."""

    info = INFO

    def settings(self) -> dict[str, Any]:
        return {"k": K}

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        model.train()
        with float32_precision(allow_tf32):
            return jacov_from_jacobian(batch_jacobian(model, images))
