"""nwot: NASLib's NASWOT (the v2 "updated" procedure), NAS-Bench-Suite-Zero's ``nwot``.

Reference (PROXIES.md 1, ``nwot.py``): forward hooks on every torch ``nn.ReLU`` (not NASLib's
own ``*ReLU*`` classes: our ``ReLUConvBN`` mirrors one), each adding ``c c^T + (1-c)(1-c)^T``
for the binary codes ``c`` of the ReLU's *input* to K; one forward on the batch; the score is
``slogdet(K)[1]``.  Unlike ``naswot`` (the paper's code) there is no liveness rule and no
``ReLUConvBN`` double count, so the values differ; the two rank NB201 alike.  K is exact
(integer sums in float64); with labels the forward is the shared cross-entropy pass's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from naswot_db.core.scores.nwot import INFO

from .passes import LOSS, passes_for
from .proxy_common import SuiteZeroScorer


class NwotScorer(SuiteZeroScorer):
    """log|det K| of the ReLU-input codes' kernel, every torch ReLU call counted."""

    info = INFO
    reads_passes = frozenset({LOSS})

    def raw(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor | None,
            *, allow_tf32: bool, passes: Any) -> float:
        kernel = passes_for(passes, model, images, labels, allow_tf32).relu_kernel()
        return float(np.linalg.slogdet(kernel)[1])
