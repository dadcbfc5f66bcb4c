"""Our Suite-Zero proxies against the published NAS-Bench-Suite-Zero NB201 values (CIFAR-10).

Runs only with ``NASWOT_DB_VALIDATION_DATA`` (the shared data folder).  The complexity counts
must equal the published ones exactly on every arch of the sample; the data-free ``l2_norm``
must rank the sample as the published values do (different random init: the publishers' own
two runs agree at Spearman 0.95).  The full 13-proxy comparison at batch 64 is
``tools/validate_suite_zero.py`` (its table is in the README).
"""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from conftest import validation_data
from scipy.stats import spearmanr

from naswot_db.builder.scoring import get_scorer
from naswot_db.builder.spaces import get_space

SAMPLE = "suite-zero-nb201-sample/suite_zero_nb201_sample_long.parquet"


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    rows = pd.read_parquet(validation_data() / SAMPLE)
    rows = rows[(rows["dataset"] == "cifar10") & rows["primary"]]
    return rows.pivot(index="index", columns="proxy", values="value")


def test_flops_and_params_equal_the_published_values_on_every_sampled_arch(published):
    space = get_space("nb201")
    counts = {index: space.complexity(int(index), (3, 32, 32), num_classes=10)
              for index in published.index}
    params = pd.Series({i: p / 1e6 for i, (p, _) in counts.items()})
    flops = pd.Series({i: f / 1e6 for i, (_, f) in counts.items()})
    assert len(published) == 202
    assert (params - published["params"]).abs().max() < 1e-9
    assert (flops - published["flops"]).abs().max() < 1e-9


def test_l2_norm_ranks_the_sample_as_the_published_values(published):
    space, scorer = get_space("nb201"), get_scorer("l2_norm")
    ours = {}
    for index in published.index:
        torch.manual_seed(0)
        model = space.build_model(int(index), num_classes=10)
        ours[index] = scorer.score(model, torch.ones(1, 3, 32, 32)).value
    rho = spearmanr(pd.Series(ours).loc[published.index], published["l2_norm"])[0]
    assert rho >= 0.95 - 0.05
