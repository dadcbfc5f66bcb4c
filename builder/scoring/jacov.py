"""The Jacobian-covariance score ("jacov") of the NASWOT paper's first version (tag ``v1.0``).

The reference (``search.py``: ``get_batch_jacobian``, ``eval_score``) backpropagates
``y.backward(ones_like(y))`` from the network's first output to the input batch, flattens each
image's gradient into one row, takes NumPy's ``corrcoef`` of the rows, and scores
``-sum(log(v + k) + 1 / (v + k))`` over the eigenvalues ``v`` of that matrix, k = 1e-5.  That
version scored batches of 256 images; the batch size is the build's ``--batch-size``.
NAS-Bench-Suite-Zero's ``jacov`` (NASLib) is the same formula on the network with one output
per class (``class_head``); the correlation matrix does not depend on the scale of the summed
head, so only the draws of the head's weights differ from a one-unit network.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from naswot_db.core.scores.jacov import INFO

from .passes import JACOBIAN, passes_for
from .proxy_common import SuiteZeroScorer

K = 1e-5


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


class JacovScorer(SuiteZeroScorer):
    """Jacobian covariance; the model stays in train mode, as in the reference.  The Jacobian
    is the shared input-gradient pass (also epe_nas's)."""

    info = INFO
    reads_passes = frozenset({JACOBIAN})
    reference_catches = True

    def settings(self) -> dict[str, Any]:
        return {"k": K, **super().settings()}

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        jacobian = passes_for(passes, model, images, labels, allow_tf32).input_jacobian()
        return jacov_from_jacobian(jacobian.rows)
