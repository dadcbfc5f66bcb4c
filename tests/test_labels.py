"""label="max": NASWOT's NB101 ground truth (best repeat) in search and correlation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from naswot_db.query import correlations, simulate_search
from naswot_db.testing.query_tables import accuracy_part, score_part, write


@pytest.fixture
def root(tmp_path):
    ids = np.arange(8)
    rng = np.random.default_rng(3)
    repeats = rng.uniform(80, 95, size=(3, 8))
    score = rng.normal(size=8)
    write(tmp_path, "scores", score_part("nb101", ids, score), "nb101")
    for seed, values in enumerate(repeats):
        write(tmp_path, "accuracies", accuracy_part("nb101", ids, values, dataset="cifar10",
                                                    split="test", epochs=108, seed=seed), "nb101")
    write(tmp_path, "accuracies", accuracy_part("nb101", ids, repeats.mean(axis=0),
                                                dataset="cifar10", split="test", epochs=108),
          "nb101")
    return tmp_path, repeats, score


def test_correlation_uses_the_best_repeat_with_label_max(root):
    path, repeats, score = root
    frame = {label: correlations(path, space="nb101", label=label) for label in ("mean", "max")}
    for label, truth in (("mean", repeats.mean(axis=0)), ("max", repeats.max(axis=0))):
        expected = stats.kendalltau(score, truth).statistic
        assert frame[label]["kendall_tau"].iloc[0] == pytest.approx(expected, abs=1e-12)


def test_search_reports_the_best_repeat_with_label_max(root):
    path, repeats, _ = root
    result = simulate_search(path, space="nb101", n=(8,), runs=3, replace=False, label="max")
    optimal = result.table()
    row = optimal[optimal["method"] == "optimal"].iloc[0]
    assert row[f"{result.targets[0].label} mean"] == pytest.approx(repeats.max())
