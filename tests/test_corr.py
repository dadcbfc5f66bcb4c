"""correlations() and the SQL macros against plain NumPy/SciPy on the rows the tests wrote."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from naswot_db.testing.query_tables import accuracy_part, score_part, write
from scipy.stats import rankdata

from naswot_db.core.names import UnknownNameError
from naswot_db.cli import main
from naswot_db.query import QueryError, connect, correlations, engine

SPACE = "nats-sss"
ARCHS = np.arange(60)
RAISES = {4, 9}
REPLICATES = ((0, 0), (1, 0), (0, 2))
TARGETS = {"cifar10/ori-test": ("cifar10", "ori-test"), "cifar100/x-test": ("cifar100", "x-test")}


def _scores() -> dict[tuple[str, tuple[int, int]], np.ndarray]:
    rng = np.random.default_rng(1)
    out = {}
    for dataset in ("cifar10", "cifar100"):
        for index, pair in enumerate(REPLICATES):
            # halves: ties on purpose, and sums (for the mean replicate) exact in any order
            values = np.round((rng.normal(size=ARCHS.size) + ARCHS / 30) * 2) / 2
            values[ARCHS % 11 == index] = np.nan
            values[ARCHS % 13 == index + 1] = -np.inf
            out[dataset, pair] = values
    return out


def _labels() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2)
    # ties on purpose; a percentage, as every writer requires
    c10 = np.clip(np.round(ARCHS / 2 + rng.normal(size=ARCHS.size) * 5, 0), 0, 100)
    c100 = rng.uniform(20, 70, ARCHS.size)
    c100[[5, 17, 33]] = np.nan  # missing labels (rows left out of the accuracies table)
    return {"cifar10/ori-test": c10, "cifar100/x-test": c100}


SCORES, LABELS = _scores(), _labels()


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("corr") / "db"
    for (dataset, pair), values in SCORES.items():
        write(root, "scores", score_part(SPACE, ARCHS, values, dataset=dataset,
                                         init_seed=pair[0], batch_seed=pair[1],
                                         raises=np.isin(ARCHS, list(RAISES))), SPACE)
    for label, values in LABELS.items():
        dataset, split = TARGETS[label]
        known = ~np.isnan(values)
        write(root, "accuracies", accuracy_part(SPACE, ARCHS[known], values[known],
                                                dataset=dataset, split=split), SPACE)
    return root


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Tau-b by counting every pair (O(n^2), independent of SciPy's algorithm)."""
    concordant = discordant = ties_x = ties_y = 0
    for i, j in combinations(range(x.size), 2):
        sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if sx == 0 and sy == 0:
            continue
        if sx == 0:
            ties_x += 1
        elif sy == 0:
            ties_y += 1
        elif sx == sy:
            concordant += 1
        else:
            discordant += 1
    return (concordant - discordant) / np.sqrt((concordant + discordant + ties_x)
                                               * (concordant + discordant + ties_y))


def top_overlap(ids, x, y, percent) -> float:
    count = max(1, int(len(x) * percent / 100))
    top_x = sorted(range(len(x)), key=lambda i: (-x[i], ids[i]))[:count]
    top_y = sorted(range(len(y)), key=lambda i: (-y[i], ids[i]))[:count]
    return len(set(top_x) & set(top_y)) / count


def expected_row(values: np.ndarray, labels: np.ndarray) -> dict:
    nan, neg_inf = np.isnan(values), np.isneginf(values)
    missing = ~nan & ~neg_inf & np.isnan(labels)
    keep = ~nan & ~neg_inf & ~np.isnan(labels)
    x, y, ids = values[keep], labels[keep], ARCHS[keep]
    return {"rows": values.size, "used": keep.sum(), "excluded_nan": nan.sum(),
            "excluded_neg_inf": neg_inf.sum(), "excluded_missing_label": missing.sum(),
            "kendall_tau": kendall_tau_b(x, y),
            "spearman": np.corrcoef(rankdata(x), rankdata(y))[0, 1],
            "pearson": np.corrcoef(x, y)[0, 1],
            "top5%_overlap": top_overlap(ids, x, y, 5), "top20%_overlap": top_overlap(ids, x, y, 20)}


def _check(row: pd.Series, expected: dict) -> None:
    for key, value in expected.items():
        assert row[key] == pytest.approx(value, abs=1e-9), key


@pytest.mark.parametrize("as_reference", [False, True])
def test_each_replicate_matches_numpy(root, as_reference):
    table = correlations(root, space=SPACE, top_k=(5, 20), as_reference=as_reference)
    assert len(table) == 2 * len(REPLICATES) * len(TARGETS)
    for _, row in table.iterrows():
        values = SCORES[row["dataset"], (row["init_seed"], row["batch_seed"])].copy()
        if as_reference:
            values[np.isin(ARCHS, list(RAISES))] = np.nan
        _check(row, expected_row(values, LABELS[row["target"]]))
    assert set(table["target"]) == set(TARGETS)


def test_mean_replicate_averages_scores_first(root):
    table = correlations(root, dataset="cifar100", replicate="mean", top_k=(5, 20))
    assert len(table) == len(TARGETS) and table["init_seed"].isna().all()
    mean = np.mean([SCORES["cifar100", pair] for pair in REPLICATES], axis=0)
    for _, row in table.iterrows():
        assert row["replicates"] == len(REPLICATES)
        _check(row, expected_row(mean, LABELS[row["target"]]))


def test_target_filter_and_errors(root, tmp_path):
    table = correlations(root, space=SPACE, targets=["cifar100:x-test"], top_k=())
    assert set(table["target"]) == {"cifar100/x-test"}
    with pytest.raises(QueryError, match="no scores on dataset 'cifar100'"):
        correlations(tmp_path / "empty", dataset="cifar100")  # only the shipped NB201 cifar10
    with pytest.raises(UnknownNameError, match="unknown space 'nope'"):
        correlations(root, space="nope")
    with pytest.raises(QueryError, match="bad target 'cifar10'"):
        correlations(root, targets=["cifar10"])


MACRO_SQL = """
SELECT dataset, init_seed, batch_seed, acc_dataset,
       kendall_tau(value, accuracy) AS kendall_tau, spearman(value, accuracy) AS spearman,
       pearson(value, accuracy) AS pearson, top_k_overlap(arch_id, value, accuracy, 5) AS top5,
       usable_pairs(value, accuracy) AS used
FROM scored WHERE space = 'nats-sss' GROUP BY ALL ORDER BY ALL
"""


def test_sql_macros_give_the_api_numbers(root):
    api = correlations(root, space=SPACE, top_k=(5,))
    with connect(root) as connection:
        via_duckdb = connection.sql(MACRO_SQL).df()
    sql_engine = engine(root)
    with sql_engine.connect() as connection:
        via_sqlalchemy = pd.read_sql(sa.text(MACRO_SQL), connection)
    sql_engine.dispose()
    for frame in (via_duckdb, via_sqlalchemy):
        assert len(frame) == len(api)
        merged = frame.merge(api, on=["dataset", "init_seed", "batch_seed", "acc_dataset"])
        assert len(merged) == len(api)
        for ours, theirs in (("kendall_tau_x", "kendall_tau_y"), ("spearman_x", "spearman_y"),
                             ("pearson_x", "pearson_y"), ("top5", "top5%_overlap"),
                             ("used_x", "used_y")):
            np.testing.assert_allclose(merged[ours], merged[theirs], atol=1e-9)


def test_cli_corr_csv(root):
    result = CliRunner().invoke(main, ["corr", "--root", str(root), "--space", SPACE, "--dataset", "cifar10",
                                       "--replicate", "mean", "--top-k", "10", "--format", "json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    mean = np.mean([SCORES["cifar10", pair] for pair in REPLICATES], axis=0)
    for record in records:
        assert record["kendall_tau"] == pytest.approx(
            expected_row(mean, LABELS[record["target"]])["kendall_tau"])
        assert "top10%_overlap" in record
