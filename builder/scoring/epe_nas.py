"""EPE-NAS (NAS-Bench-Suite-Zero): per-class correlation of the input Jacobian's rows.

Reference (PROXIES.md 1, ``epe_nas.py``): the rows of ``d sum(logits) / d x`` (as jacov's) are
grouped by true label in order of first appearance; per class ``s_c = sum(log(|corrcoef| +
1e-5))`` (divided by the row count when the network has more than 100 outputs); the score is
``sum_c |s_c|`` for at most 100 outputs, else ``sum_c sum_c' |s_c - s_c'| / #classes``.  Quirks
kept: a class seen once has a 0-d correlation "matrix" (1.0), which counts ``log(1 + 1e-5)`` for
at most 100 outputs and is skipped above (the reference's ``len()`` raises there); NaN stays NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from naswot_db.core.scores.epe_nas import INFO

from .passes import JACOBIAN, passes_for
from .proxy_common import SuiteZeroScorer

K = 1e-5
MANY_CLASSES = 100  # above: per-class scores are averaged and compared pairwise


def epe_nas_score(rows: np.ndarray, labels: np.ndarray, n_classes: int) -> float:
    """The reference's ``eval_score_perclass`` on Jacobian ``rows`` and their ``labels``."""
    groups: dict[int, list[np.ndarray]] = {}
    for row, label in zip(rows, labels.tolist()):
        groups.setdefault(label, []).append(row)
    per_class: dict[int, float] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for label, members in groups.items():
            corrs = np.corrcoef(members[0] if len(members) == 1 else np.vstack(members))
            s = np.sum(np.log(np.abs(corrs) + K))
            if n_classes > MANY_CLASSES:
                if corrs.ndim == 0:
                    continue  # the reference's len() of a 0-d array raises: class skipped
                s /= len(corrs)
            per_class[label] = s
    values = list(per_class.values())
    if n_classes <= MANY_CLASSES:
        return float(sum(np.absolute(v) for v in values))
    total = sum(np.absolute(a - b) for a in values for b in values)
    return float(total / len(values))


class EpeNasScorer(SuiteZeroScorer):
    """Per-class Jacobian correlation, combined over the classes of the batch."""

    info = INFO
    reads_passes = frozenset({JACOBIAN})
    reference_catches = True

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        if labels is None:
            raise ValueError("epe_nas needs the batch's labels (it groups the images by class)")
        jacobian = passes_for(passes, model, images, labels, allow_tf32).input_jacobian()
        return epe_nas_score(jacobian.rows, labels.cpu().numpy(), jacobian.outputs)
