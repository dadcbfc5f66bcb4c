"""The NASWOT score (Mellor et al., ICML 2021), exactly as the reference code computes it:
``log|det K|`` of the kernel of the binary ReLU codes, in train mode.

K comes from the fast engine (:mod:`.naswot_engine`: one recording forward pass, then a
``no_grad`` pass per call plan, then a replayed tape); this file is the score itself.
"""

from __future__ import annotations

import torch
from torch import nn

from naswot_db.core.scores.naswot import INFO

from .base import Scorer
from .naswot_engine import PlanCache, log_abs_det, naswot_kernel
from .reference import float32_precision


def naswot_score(model: nn.Module, x: torch.Tensor, *, allow_tf32: bool = False,
                 plans: PlanCache | None = None) -> float:
    """The NASWOT score of ``model`` on batch ``x``; the model stays in train mode."""
    with float32_precision(allow_tf32):
        return log_abs_det(naswot_kernel(model, x, plans, train=True))


# A network scored at least this often (init seeds x batches) is taped on its second scoring.
TAPE_MIN_SCORINGS = 10


class NaswotScorer(Scorer):
    """NASWOT (the paper's final score): log|det K| of the binary ReLU codes' kernel.

    Remembers the :class:`CallPlan` of the model it scored last, so scoring it again (the
    next batch seed, or the next init seed drawn into the same modules) skips the graph; a
    model must keep its modules between two scorings by one scorer (weights may change).
    """

    info = INFO

    def __init__(self) -> None:
        self._plans = PlanCache()

    def expect(self, scorings: int) -> None:
        # writing a tape costs about eight taped passes' savings (NB201, bench/host_overhead.py)
        self._plans.taping = scorings >= TAPE_MIN_SCORINGS

    def compute(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
                *, allow_tf32: bool) -> float:
        return naswot_score(model, images, allow_tf32=allow_tf32, plans=self._plans)
