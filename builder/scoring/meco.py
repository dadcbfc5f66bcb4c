"""MeCo: sum over every module's output of the minimum eigenvalue of its channel correlation.

For each module (``named_modules()``, the root included), the hook takes the output's first
sample, reshapes it to one row per channel and takes ``torch.corrcoef`` of the rows, zeroes its
NaN and inf entries and keeps the smallest real eigenvalue (``torch.linalg.eig``, as the
reference: the matrix is symmetric, but the general solver's rounding is what the reference
sums).  NaN and inf minima are dropped; the rest are summed.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn

from naswot_db.core.scores.meco import INFO

from .base import Scorer
from .reference import first_tensor, float32_precision


def min_correlation_eigenvalue(sample: torch.Tensor) -> torch.Tensor:
    """The smallest real eigenvalue of the correlation of ``sample``'s rows (NaN/inf -> 0)."""
    rows = sample.reshape(sample.shape[0], -1)
    with warnings.catch_warnings():  # one position per channel: NaN, zeroed below
        warnings.simplefilter("ignore", UserWarning)
        corr = torch.corrcoef(rows).reshape(rows.shape[0], rows.shape[0])  # one row: 0-d
    corr = torch.where(torch.isfinite(corr), corr, torch.zeros_like(corr))
    return torch.linalg.eig(corr)[0].real.min()


def meco(model: nn.Module, image: torch.Tensor) -> float:
    """The MeCo score of ``model`` on the one-image batch ``image``."""
    minima: list[torch.Tensor] = []

    def hook(_module: nn.Module, _args: tuple, output: Any) -> None:
        tensor = first_tensor(output) if isinstance(output, (tuple, list)) else output
        if isinstance(tensor, torch.Tensor):
            minima.append(min_correlation_eigenvalue(tensor[0].detach()))

    handles = [module.register_forward_hook(hook) for _, module in model.named_modules()]
    try:
        model.train()
        with torch.no_grad():
            model(image)
    finally:
        for handle in handles:
            handle.remove()
    values = torch.stack(minima).cpu()
    return float(values[torch.isfinite(values)].sum())


class MecoScorer(Scorer):
    """MeCo on the first image of the batch; the network's own weights."""

    info = INFO

    def settings(self) -> dict[str, Any]:
        return {"images": 1}

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        with float32_precision(allow_tf32):
            return meco(model, images[:1])
