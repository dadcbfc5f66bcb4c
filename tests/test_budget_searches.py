"""REA, AREA and the budgeted random search against plain per-run implementations.

:mod:`reference_searches` re-implements every method one run at a time on what the tests wrote
(whole NB201 / NATS-sss tables, :mod:`naswot_db.testing.search_tables`); every run's chosen arch, search time and
number of trainings must match exactly, and so must the anytime curves and table rows.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

from naswot_db.cli import main
from naswot_db.query import QueryError
from naswot_db.query.searches.report import budget_caption
from naswot_db.query.searches import BudgetOptions, simulate_budget_search
from naswot_db.query.searches.anytime import anytime_curve
from naswot_db.query.searches.compare import compare_searches
from reference_searches import Reference
from naswot_db.testing.query_tables import score_part, write
from naswot_db.testing.search_tables import write_nb101, write_space


@pytest.fixture(scope="module")
def spaces(tmp_path_factory):
    root = tmp_path_factory.mktemp("budget") / "db"
    return root, {space: write_space(root, space, seed=i) for i, space in
                  enumerate(("nb201", "nats-sss"))}


@pytest.fixture(scope="module")
def nb101(tmp_path_factory):
    """Every NB101 cell with up to 4 vertices: mutations retry until they land on one."""
    root = tmp_path_factory.mktemp("nb101") / "db"
    return root, write_nb101(root, max_vertices=4)


def _check(result, reference: Reference, method, seed: int, **kwargs) -> None:
    expected = [getattr(reference, method)(seed, run, **kwargs)
                for run in range(result.settings.runs)]
    chosen, clock, trained = (np.array([getattr(r, name) for r in expected])
                              for name in ("chosen", "clock", "trained"))
    np.testing.assert_array_equal(result.chosen, chosen)
    np.testing.assert_allclose(result.time_s, clock, rtol=1e-12)
    np.testing.assert_array_equal(result.evaluations, trained)
    row = result.row()
    answered = chosen[chosen >= 0]
    written = reference.written["targets"]
    assert sorted((t.dataset, t.split) for t in result.targets) == sorted(written)
    for target in result.targets:
        values = np.array([written[(target.dataset, target.split)][a] for a in answered])
        assert row[f"{target.label} mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert row[f"{target.label} std"] == pytest.approx(values.std(), rel=1e-9, abs=1e-12)
    assert row["time_mean_s"] == pytest.approx(clock.mean(), rel=1e-12)
    assert row["evaluations_mean"] == pytest.approx(trained.mean())


@pytest.mark.parametrize("space", ["nb201", "nats-sss"])
def test_rea_matches_the_per_run_reference(spaces, space):
    root, written = spaces
    result = simulate_budget_search(root, method="rea", space=space, runs=40,
                                    options=BudgetOptions(seed=3))
    reference = Reference(space, written[space], 12_000.0)
    _check(result, reference, "rea", 3)
    assert result.evaluations.min() > 10  # the cycles ran, not just the initial population


@pytest.mark.parametrize("space", ["nb201", "nats-sss"])
def test_random_search_matches_the_per_run_reference(spaces, space):
    root, written = spaces
    result = simulate_budget_search(root, method="random", space=space, runs=40,
                                    options=BudgetOptions(seed=1, budget_s=5_000))
    _check(result, Reference(space, written[space], 5_000.0), "random_search", 1)


@pytest.mark.parametrize("replicate", ["random", "mean", (1, 0)])
def test_area_matches_the_per_run_reference(spaces, replicate):
    root, written = spaces
    options = BudgetOptions(seed=7, population=6, sample_size=4, init_sample=15)
    result = simulate_budget_search(root, method="area", space="nb201", runs=30,
                                    options=options, replicate=replicate)
    reference = Reference("nb201", written["nb201"], 12_000.0, 6, 4, 15)
    _check(result, reference, "area", 7, replicate=replicate)


def test_area_on_the_size_space(spaces):
    root, written = spaces
    result = simulate_budget_search(root, method="area", space="nats-sss", runs=20,
                                    options=BudgetOptions(seed=2, budget_s=20_000))
    assert result.settings.runs == 20
    _check(result, Reference("nats-sss", written["nats-sss"], 20_000.0), "area", 2)


def test_budget_smaller_than_one_training(spaces):
    root, written = spaces
    options = BudgetOptions(budget_s=1.0)
    rea = simulate_budget_search(root, method="rea", space="nb201", runs=10, options=options)
    # the initial population is always trained, as in the reference; no child fits
    assert (rea.evaluations == 10).all() and (rea.time_s > 1.0).all()
    _check(rea, Reference("nb201", written["nb201"], 1.0), "rea", 0)
    random = simulate_budget_search(root, method="random", space="nb201", runs=10,
                                    options=options)
    row = random.row()
    assert (random.chosen == -1).all() and row["runs"] == 0 and row["runs_without_answer"] == 10
    assert math.isnan(row["C10 test mean"]) and (random.time_s == 0).all()


def test_default_runs_are_the_papers(spaces):
    root, _ = spaces
    options = BudgetOptions(budget_s=0)
    assert simulate_budget_search(root, method="rea", options=options).settings.runs == 500
    assert simulate_budget_search(root, method="area", options=options).settings.runs == 50


def test_bad_settings_are_one_clear_error(spaces):
    root, _ = spaces
    with pytest.raises(QueryError, match="P must not exceed M"):
        simulate_budget_search(root, method="area", options=BudgetOptions(population=30))
    with pytest.raises(QueryError, match="sample size must be at least 1"):
        simulate_budget_search(root, method="rea", options=BudgetOptions(sample_size=0))
    with pytest.raises(QueryError, match="bad fitness"):
        simulate_budget_search(root, method="rea", fitness="cifar10-valid:x-valid")
    with pytest.raises(QueryError, match="no accuracies for the fitness cifar10:x-valid@12"):
        simulate_budget_search(root, method="rea", fitness="cifar10:x-valid@12")


def test_anytime_curve_is_the_incumbent_of_every_run(spaces):
    root, written = spaces
    result = simulate_budget_search(root, method="area", space="nb201", runs=12,
                                    options=BudgetOptions(seed=4, budget_s=3_000))
    reference = Reference("nb201", written["nb201"], 3_000.0)
    runs = [reference.area(4, run) for run in range(12)]
    times = np.array([0.0, 5.0, 400.0, 1_000.0, 2_000.0, 2_999.0, 5_000.0])
    curve = anytime_curve(result, times)
    c10_test = written["nb201"]["targets"][("cifar10", "ori-test")]
    column = [t.label for t in result.targets].index("C10 test")
    for index, time_s in enumerate(times):
        incumbents = [run.incumbent_at(time_s) for run in runs]
        values = np.array([c10_test[a] for a in incumbents if a >= 0])
        assert curve.runs[index] == values.size
        if values.size:
            assert curve.mean[index, column] == pytest.approx(values.mean(), rel=1e-12)
            assert curve.std[index, column] == pytest.approx(values.std(), rel=1e-9, abs=1e-12)
        else:
            assert np.isnan(curve.mean[index]).all()
    assert curve.runs[0] == 0 and curve.runs[-1] == 12  # nothing trained at t = 0


def test_comparison_table_and_cli(spaces, tmp_path):
    root, _ = spaces
    comparison = compare_searches(root, methods=["rea", "naswot", "random"], n=[10],
                                  runs=20, options=BudgetOptions(budget_s=2_000, seed=5))
    table = comparison.table()
    assert table["method"].tolist() == ["naswot", "best_of_n", "rea", "random", "random_arch",
                                        "optimal"]
    alone = simulate_budget_search(root, method="rea", runs=20,
                                   options=BudgetOptions(budget_s=2_000, seed=5))
    np.testing.assert_array_equal(comparison.budgeted[0].chosen, alone.chosen)
    runner = CliRunner()
    out = runner.invoke(main, ["search", "--root", str(root), "--method", "rea,area",
                               "--runs", "20", "--budget-s", "2000", "--seed", "5"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("nb201 rea: 20 runs, budget 2000 s, P 10, S 3")
    assert lines[1].startswith("nb201 area: 20 runs") and "M 20 scored" in lines[1]
    assert "archs trained" in lines[2] and lines[4].startswith("REA") and \
        lines[5].startswith("AREA")
    assert f"{alone.row()['C10 test mean']:.2f} ± {alone.row()['C10 test std']:.2f}" in lines[4]
    csv = runner.invoke(main, ["search", "--root", str(root), "--method", "rea", "--runs", "20",
                               "--budget-s", "2000", "--seed", "5", "--format", "csv"])
    header, row = csv.output.splitlines()
    assert header.startswith("method,n,runs,runs_without_answer,time_mean_s")
    assert float(row.split(",")[4]) == pytest.approx(alone.time_s.mean())
    figure = tmp_path / "anytime.png"
    out = runner.invoke(main, ["plot", "anytime", "--root", str(root), "--runs", "5",
                               "--n", "10", "--budget-s", "2000", "-o", str(figure)])
    assert out.exit_code == 0, out.output
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = runner.invoke(main, ["search", "--root", str(root), "--method", "rea,bohb"])
    assert bad.exit_code != 0 and "Error: unknown search method 'bohb'" in bad.output


@pytest.mark.parametrize("method", ["rea", "random_search"])
def test_nb101_matches_the_per_run_reference(nb101, method):
    root, written = nb101
    result = simulate_budget_search(root, method=method.split("_")[0], space="nb101", runs=15,
                                    options=BudgetOptions(seed=6, budget_s=60_000))
    assert result.settings.fitness == "cifar10:valid@108"
    _check(result, Reference("nb101", written, 60_000.0), method, 6)
    assert result.evaluations.min() > 15


@pytest.mark.parametrize("space", ["nb201", "nats-sss"])
def test_tournament_without_replacement_matches_the_reference(spaces, space):
    """AREA's pseudocode: S distinct members, each the floor(u * left)-th of those left."""
    root, written = spaces
    options = BudgetOptions(seed=8, population=5, sample_size=5, init_sample=12,
                            tournament_replace=False)
    for method in ("rea", "area"):
        result = simulate_budget_search(root, method=method, space=space, runs=25,
                                        options=options)
        reference = Reference(space, written[space], 12_000.0, 5, 5, 12,
                              tournament_replace=False)
        _check(result, reference, method, 8)
    assert "tournament without replacement" in budget_caption(result)


def test_training_that_crosses_the_budget_can_count(spaces):
    """NATS-Bench's loop: the last training starts under the budget and counts."""
    root, written = spaces
    options = BudgetOptions(seed=4, budget_s=3_000, keep_last=True)
    for method, name in (("rea", "rea"), ("random", "random_search")):
        result = simulate_budget_search(root, method=method, space="nb201", runs=30,
                                        options=options)
        _check(result, Reference("nb201", written["nb201"], 3_000.0, keep_last=True), name, 4)
        assert (result.time_s >= 3_000).all()
        discarded = simulate_budget_search(root, method=method, space="nb201", runs=30,
                                           options=BudgetOptions(seed=4, budget_s=3_000))
        assert (discarded.time_s < 3_000).all()
        np.testing.assert_array_equal(result.evaluations, discarded.evaluations + 1)


def test_tournament_without_replacement_needs_s_at_most_p(spaces):
    root, _ = spaces
    with pytest.raises(QueryError, match="S must not exceed P"):
        simulate_budget_search(root, method="rea", options=BudgetOptions(
            population=3, sample_size=4, tournament_replace=False))


def _root_with_a_second_score(root, score: str, config_id: str, transform) -> tuple[dict, dict]:
    """A written NB201 space plus ``score`` rows whose values are ``transform`` of naswot's;
    returns the written tables and the new score's values by arch."""
    written = write_space(root, "nb201", seed=3, score_replicates=1)
    values, times = written["scores"][(0, 0)]
    ids = np.array(sorted(values))
    other = {a: transform(values[a]) for a in ids.tolist()}
    part = score_part("nb201", ids, [other[a] for a in ids.tolist()], config_id=config_id,
                      times=[times[a] for a in ids.tolist()])
    part = part.set_column(part.column_names.index("score"), "score",
                           pa.array([score] * len(ids)))
    write(root, "scores", part, "nb201")
    return written, other


def test_area_ranks_by_any_stored_score(tmp_path):
    """``score="jacov"``: AREA keeps the best of its sample by the jacov scores (here the
    naswot values reversed), exactly as the reference does with those scores."""
    root = tmp_path / "db"
    # reversed; a singular value stays -inf (no score is +inf: schema/valid_values.py)
    written, jacov = _root_with_a_second_score(
        root, "jacov", "jcfg", lambda value: -value if np.isfinite(value) else value)
    times = written["scores"][(0, 0)][1]
    options = BudgetOptions(seed=5, budget_s=4_000)
    result = simulate_budget_search(root, method="area", runs=20, options=options,
                                    score="jacov")
    assert result.settings.scores.startswith("jacov scores on cifar10, config jcfg")
    reference = Reference("nb201", {**written, "scores": {(0, 0): (jacov, times)}}, 4_000.0)
    _check(result, reference, "area", 5)
    naswot = simulate_budget_search(root, method="area", runs=20, options=options)
    assert (naswot.chosen != result.chosen).any()


def test_area_keeps_the_lowest_of_a_lower_is_better_score(tmp_path, monkeypatch):
    """A score whose descriptor says lower is better, stored as naswot's values negated, makes
    AREA keep exactly the archs naswot's highest values make it keep."""
    from naswot_db.core import scores as score_catalogue

    score_catalogue.score_names()
    monkeypatch.setattr(score_catalogue._SCORES, "_entries",
                        dict(score_catalogue._SCORES._entries))
    score_catalogue.describe(score_catalogue.ScoreInfo(
        name="lower_test", citation="a test score", implementation="tests:None",
        higher_is_better=False))
    root = tmp_path / "db"
    # finite values negated; a singular naswot row (-inf, the worst) becomes the largest finite
    # value, the worst of a lower-is-better score (+inf is no valid score)
    _root_with_a_second_score(root, "lower_test", "lcfg", lambda value: (
        -value if np.isfinite(value) else np.finfo(float).max if value < 0 else value))
    options = BudgetOptions(seed=5, budget_s=4_000)
    lower = simulate_budget_search(root, method="area", runs=20, options=options,
                                   score="lower_test")
    naswot = simulate_budget_search(root, method="area", runs=20, options=options)
    np.testing.assert_array_equal(lower.chosen, naswot.chosen)
