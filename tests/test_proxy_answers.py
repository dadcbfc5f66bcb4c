"""Answers across proxies: the corr leaderboard, the scores_wide view, the proxy heatmap and
search --score, checked against SciPy and plain loops on the rows the tests wrote."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from scipy.stats import kendalltau, spearmanr

from naswot_db.core import scores as score_catalogue
from naswot_db.cli import main
from naswot_db.query import connect, simulate_search
from naswot_db.query.proxy_heatmap import rank_correlations
from naswot_db.schema.sql import wide_scores_sql
from naswot_db.core.scores import ScoreInfo, describe
from naswot_db.testing.query_tables import score_part, write

ARCHS = np.arange(200)
PEER = "naslib-zc-00000000000000aa"
LOWER = "lower_test"  # a score whose lower values are better, described by the tests


def _c10_valid() -> np.ndarray:
    connection = connect("/nonexistent-root-for-shipped-tables")
    try:
        rows = dict(connection.execute(
            "SELECT arch_id, accuracy FROM accuracies WHERE space = 'nb201' AND dataset = "
            "'cifar10-valid' AND split = 'x-valid' AND epochs = 200 AND seed IS NULL AND "
            "arch_id < ?", [ARCHS.size]).fetchall())
    finally:
        connection.close()
    return np.array([rows[a] for a in ARCHS.tolist()])


ACCURACY = _c10_valid()
_RNG = np.random.default_rng(7)
# (score, config, (init_seed, batch_seed), arch ids) -> values
ROWS = {
    ("naswot", "cfgA", (0, 0), 200): ACCURACY + _RNG.normal(size=200),
    ("naswot", "cfgA", (1, 0), 200): ACCURACY + _RNG.normal(size=200),
    ("naswot", "cfgB", (0, 0), 50): _RNG.normal(size=50),  # fewer rows: not scores_wide's pick
    ("synflow", "cfgS", (0, 0), 200): ACCURACY + 3 * _RNG.normal(size=200),
    (LOWER, "cfgL", (0, 0), 200): -(ACCURACY + 2 * _RNG.normal(size=200)),
    ("nwot", PEER, (0, 0), 200): ACCURACY + 0.5 * _RNG.normal(size=200),
}
ROWS["synflow", "cfgS", (0, 0), 200][[3, 8]] = [np.nan, -np.inf]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("proxies") / "db"
    for (score, config, (init_seed, batch_seed), count), values in ROWS.items():
        part = score_part("nb201", ARCHS[:count], values, config_id=config, batch_size=64,
                          init_seed=init_seed, batch_seed=batch_seed)
        part = part.set_column(part.schema.get_field_index("score"), "score",
                               pa.array([score] * count))
        write(root, "scores", part, "nb201")
    return root


@pytest.fixture
def lower_score(monkeypatch):
    """Describe ``lower_test`` (higher_is_better False) for one test."""
    score_catalogue.score_names()
    monkeypatch.setattr(score_catalogue._SCORES, "_entries",
                        dict(score_catalogue._SCORES._entries))
    describe(ScoreInfo(name=LOWER, citation="a test score", implementation="tests:None",
                       higher_is_better=False))


def _cli(*args: str):
    return CliRunner().invoke(main, list(args))


def _mean(score: str, config: str) -> np.ndarray:
    parts = [v for (s, c, _, _), v in ROWS.items() if (s, c) == (score, config)]
    return np.mean(parts, axis=0)


def test_leaderboard_is_sorted_by_spearman_with_each_score_in_its_direction(root, lower_score):
    result = _cli("corr", "--root", str(root), "--space", "nb201", "--score",
                  f"synflow,naswot,{LOWER}", "--target", "cifar10-valid:x-valid",
                  "--format", "csv")
    assert result.exit_code == 0, result.output + result.stderr
    board = pd.read_csv(io.StringIO(result.stdout))
    assert board["spearman"].tolist() == sorted(board["spearman"], reverse=True)
    assert f"{LOWER}: lower values are better, so they enter as -value" in result.stderr
    rows = board.set_index(["score", "config_id"])
    for score, config, sign in (("naswot", "cfgA", 1), ("naswot", "cfgB", 1),
                                ("synflow", "cfgS", 1), (LOWER, "cfgL", -1)):
        x = sign * _mean(score, config)
        y = ACCURACY[:x.size]
        keep = np.isfinite(x)
        row = rows.loc[(score, config)]
        assert row["spearman"] == pytest.approx(spearmanr(x[keep], y[keep]).statistic, abs=1e-12)
        assert row["kendall_tau"] == pytest.approx(kendalltau(x[keep], y[keep]).statistic,
                                                   abs=1e-12)
        assert row["n"] == keep.sum()
        assert row["better"] == ("higher" if sign > 0 else "lower (as -value)")
    assert rows.loc[(LOWER, "cfgL"), "spearman"] > 0.5  # flipped: it ranks accurate nets first
    assert rows.loc[("naswot", "cfgA"), "replicates"] == 2  # the mean over both replicates


def test_leaderboard_top_k_of_a_lower_is_better_score_takes_its_lowest_values(root, lower_score):
    result = _cli("corr", "--root", str(root), "--space", "nb201", "--score", f"naswot,{LOWER}",
                  "--target", "cifar10-valid:x-valid", "--top-k", "5", "--format", "csv")
    board = pd.read_csv(io.StringIO(result.stdout)).set_index("score")
    values = ROWS[LOWER, "cfgL", (0, 0), 200]
    by_score = set(np.argsort(values, kind="stable")[:10].tolist())  # 5% of 200, lowest first
    by_accuracy = set(np.argsort(-ACCURACY, kind="stable")[:10].tolist())
    assert board.loc[LOWER, "top5%_overlap"] == len(by_score & by_accuracy) / 10


def test_leaderboard_marks_published_values_and_skips_scores_not_stored(root):
    result = _cli("corr", "--root", str(root), "--space", "nb201", "--score", "all",
                  "--target", "cifar10-valid:x-valid")
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout.startswith("Sorted by Spearman's rho with each target")
    table = result.stdout.splitlines()
    peer = next(line for line in table if PEER in line)
    assert peer.split()[0] == "nwot" and " peer " in peer
    assert "Note: no rows of" in result.stderr and "zen" in result.stderr
    assert "jacov" in result.stderr.split("Note: no rows of")[1]


def test_one_score_corr_keeps_its_table_and_says_when_it_flips(root, lower_score):
    single = _cli("corr", "--root", str(root), "--space", "nb201", "--score", "naswot",
                  "--target", "cifar10-valid:x-valid", "--format", "csv")
    frame = pd.read_csv(io.StringIO(single.stdout))
    assert list(frame.columns[:3]) == ["space", "dataset", "config_id"]
    assert len(frame) == 3  # each replicate of cfgA, cfgB's one: the per-replicate default
    flipped = _cli("corr", "--root", str(root), "--space", "nb201", "--score", LOWER,
                   "--target", "cifar10-valid:x-valid", "--format", "csv")
    row = pd.read_csv(io.StringIO(flipped.stdout)).iloc[0]
    x = -ROWS[LOWER, "cfgL", (0, 0), 200]
    assert row["spearman"] == pytest.approx(spearmanr(x, ACCURACY).statistic, abs=1e-12)
    assert f"Note: lower {LOWER} values are better" in flipped.stderr


def test_scores_wide_has_a_column_per_score_from_one_config_each(root):
    connection = connect(root)
    try:
        wide = connection.sql("SELECT * FROM scores_wide ORDER BY init_seed, arch_id").df()
        columns = [row[0] for row in connection.execute("DESCRIBE scores_wide").fetchall()]
    finally:
        connection.close()
    assert columns[:6] == ["space", "arch_id", "dataset", "batch_size", "init_seed",
                           "batch_seed"]
    assert {"naswot", "nwot", "synflow", "jacov", "zen"} <= set(columns)
    assert len(wide) == 400  # 200 archs x init seeds 0 and 1
    first, second = wide[wide["init_seed"] == 0], wide[wide["init_seed"] == 1]
    np.testing.assert_array_equal(first["naswot"], ROWS["naswot", "cfgA", (0, 0), 200])
    np.testing.assert_array_equal(second["naswot"], ROWS["naswot", "cfgA", (1, 0), 200])
    np.testing.assert_array_equal(first["synflow"], ROWS["synflow", "cfgS", (0, 0), 200])
    assert second["synflow"].isna().all()  # synflow has no init seed 1
    assert wide["nwot"].isna().all()  # published values stay out of the root's own view


def test_sql_command_notes_shipped_scores_read_through_scores_wide(tmp_path):
    result = _cli("sql", "--root", str(tmp_path / "none"),
                  "SELECT count(naswot) AS n FROM scores_wide")
    assert result.exit_code == 0, result.stderr
    assert "15625" in result.stdout
    assert "shipped with naswot-db" in result.stderr.splitlines()[-1]


def test_search_ranks_a_lower_is_better_score_by_its_lowest_value(root, lower_score):
    values = dict(zip(ARCHS.tolist(), ROWS[LOWER, "cfgL", (0, 0), 200]))
    result = simulate_search(root, space="nb201", score=LOWER, n=(5,), runs=50,
                             targets=["cifar10-valid:x-valid"])
    draws = result.draws[5]
    assert draws.chosen.tolist() == [min(ids, key=values.get) for ids in draws.arch_ids.tolist()]
    table = _cli("search", "--root", str(root), "--score", LOWER, "--n", "5", "--runs", "5",
                 "--target", "cifar10-valid:x-valid").stdout
    assert f"best of N by {LOWER}" in table and "NASWOT" not in table


def test_rank_correlations_equal_scipy_on_the_pairs_both_have():
    rng = np.random.default_rng(3)
    variables = rng.normal(size=(3, 40))
    variables[0, [1, 5]] = np.nan
    variables[2, [5, 9]] = -np.inf
    matrix = rank_correlations(variables)
    for i in range(3):
        for j in range(3):
            keep = np.isfinite(variables[i]) & np.isfinite(variables[j])
            expected = 1.0 if i == j else spearmanr(variables[i][keep],
                                                    variables[j][keep]).statistic
            assert matrix[i, j] == pytest.approx(expected, abs=1e-12)


def test_plot_proxies_draws_the_stored_scores(root, tmp_path):
    out = tmp_path / "proxies.png"
    result = _cli("plot", "proxies", "--root", str(root), "--batch-size", "64", "-o", str(out))
    assert result.exit_code == 0, result.output + result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    alone = _cli("plot", "proxies", "--root", str(root), "--score", "zen", "-o", str(out))
    assert alone.exit_code == 1
    assert alone.stderr.startswith("Error: one score only (none)")


def test_published_values_pivot_apart_from_the_roots_own(root, tmp_path):
    connection = connect(root)
    try:
        published = connection.sql(wide_scores_sql(["nwot", "naswot"], published=True)
                                   + " ORDER BY arch_id").df()
    finally:
        connection.close()
    np.testing.assert_array_equal(published["nwot"], ROWS["nwot", PEER, (0, 0), 200])
    assert published["naswot"].isna().all()  # no published naswot: never the root's own
    out = tmp_path / "published.svg"
    result = _cli("plot", "proxies", "--root", str(root), "--published", "--target",
                  "cifar10-valid:x-valid", "-o", str(out))
    assert result.exit_code == 0, result.output + result.stderr
    assert "published values on cifar10" in out.read_text()
