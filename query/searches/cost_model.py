"""The modelled 12-epoch training cost of an NB201 arch, for ground truth without times.

NATS-Bench charges a simulated training of an NB201 arch ``train-all-time + valid-per-time`` of
its 12-epoch ``cifar10-valid`` run, one measured number per arch (a pseudo-time, the same for
every seed).  Where a root holds no measured times (the shipped 12-epoch seed means have none),
the searches charge the op-count model of ``data/shipped/TIME-MODEL.md`` instead, fitted on the
24 archs with real times (leave-one-out mean error 2.8 %, max 5.9 %):

    cost = 37.31 + 29.545 n_conv3x3 + 22.129 n_conv1x1 + 12.081 n_avg_pool   [s]

The coefficients below are the fit's unrounded values (they give the model column of
``nb201_times_12ep_real.parquet`` to 1e-13 s); skip_connect and none cost nothing extra.
Costs of archs with more than three 3x3 convolutions are an extrapolation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MODELLED_COST = "modelled: op-count fit, TIME-MODEL.md"
# the only fitness the model describes: what NATS-Bench's REA trains
MODELLED_SPACE, MODELLED_FITNESS = "nb201", "cifar10-valid:x-valid@12"
INTERCEPT_S = 37.309656107745305
OP_COST_S = {"nor_conv_3x3": 29.54479238388184, "nor_conv_1x1": 22.129256503539143,
             "avg_pool_3x3": 12.080980847263575}


def nb201_cost_12ep(arch_strs: Sequence[str]) -> np.ndarray:
    """Modelled 12-epoch cifar10-valid cost (s) of each NB201 arch string."""
    strings = np.asarray(arch_strs, dtype=str)
    cost = np.full(strings.shape, INTERCEPT_S)
    for op, seconds in OP_COST_S.items():
        cost += seconds * np.char.count(strings, f"{op}~")
    return cost
