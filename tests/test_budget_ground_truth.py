"""The ground truth of the budgeted searches, as users get it: NATS-Bench files, ingested.

Small NATS-layout directories (tests/nats_files.py) hold 12- and 200-epoch records with times;
the fitness and the cost of every training must be what the ``nats_bench`` API reports, and
missing or partial ground truth must give the documented result or one clear error line.
"""

from __future__ import annotations

import nats_bench
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import nats_files as nf
from conftest import validation_data
from naswot_db.builder.spaces.nb201 import benchmark_arch_strs
from naswot_db.cli import main
from naswot_db.query import QueryError
from naswot_db.query.searches.report import budget_caption
from naswot_db.query.searches import BudgetOptions, simulate_budget_search
from naswot_db.query.searches.cost_model import nb201_cost_12ep
from naswot_db.query.searches.ground_truth import MEASURED_COST, ONE_SEED
from naswot_db.query.searches.simulate import load_tables
from naswot_db.query.selection import open_source
from naswot_db.schema import SCHEMA_VERSION
from naswot_db.testing.query_tables import accuracy_part, arch_part, write
from reference_searches import Reference
from naswot_db.testing.search_tables import NB201_TARGETS

TSS_BUDGETS = {"12": (12, [111, 777]), "200": (200, [777, 888])}
SSS_BUDGETS = {"12": (12, [777, 888, 999]), "90": (90, [777])}
INDICES = [0, 9, 284, 15624]


def _ingest(folder, space: str, name: str, meta: list[str], budgets: dict):
    source = nf.write_fast_mode_dir(folder / name, meta, INDICES, budgets)
    root = folder / "db"
    result = CliRunner().invoke(main, ["ingest", "--space", space, "--source", str(source),
                                       "--root", str(root)])
    assert result.exit_code == 0, result.output
    return source, root


@pytest.fixture(scope="module")
def tss(tmp_path_factory):
    return _ingest(tmp_path_factory.mktemp("tss"), "nb201", "NATS-tss-v1_0-3ffb9-simple",
                   list(benchmark_arch_strs()), TSS_BUDGETS)


def _written(meta: list[str]) -> dict:
    """What the fixture files hold, as the per-run reference reads it."""
    seeds = TSS_BUDGETS["12"][1]
    cost = nf.EPOCH_SECONDS["cifar10-valid"] * 12 + nf.EVAL_SECONDS
    return {
        "arch_ids": np.array(INDICES), "arch_strs": [meta[i] for i in INDICES],
        "fitness": {i: [nf.final_accuracy(i, "cifar10-valid", "x-valid", s, 12) for s in seeds]
                    for i in INDICES},
        "cost": {i: [cost] * len(seeds) for i in INDICES},
        "targets": {(d, s): {i: float(np.mean([nf.final_accuracy(i, d, s, seed, 200)
                                               for seed in TSS_BUDGETS["200"][1]]))
                             for i in INDICES} for d, s in NB201_TARGETS},
    }


@pytest.mark.parametrize("space, api_space, name, budgets", [
    ("nb201", "tss", "NATS-tss-v1_0-3ffb9-simple", TSS_BUDGETS),
    ("nats-sss", "sss", "NATS-sss-v1_0-50262-simple", SSS_BUDGETS)])
def test_fitness_and_cost_are_what_the_api_reports(tmp_path, space, api_space, name, budgets):
    meta = list(benchmark_arch_strs()) if space == "nb201" else nf.sss_meta_archs()
    source, root = _ingest(tmp_path, space, name, meta, budgets)
    api = nats_bench.create(str(source), api_space, fast_mode=True, verbose=False)
    with open_source(root) as opened:
        tables = load_tables(opened, space, None, ["cifar100:x-test"], None, "mean")
    assert tables.arch_ids.tolist() == INDICES
    seeds = budgets["12"][1]
    for row, index in enumerate(INDICES):
        assert tables.seed_counts[row] == len(seeds)
        for slot, seed in enumerate(seeds):
            info = api.get_more_info(index, "cifar10-valid", hp="12", is_random=seed)
            assert tables.fitness[row, slot] == pytest.approx(info["valid-accuracy"], rel=1e-12)
            # simulate_train_eval's cost: train-all-time + valid-per-time of that seed's run
            assert tables.cost[row, slot] == pytest.approx(
                info["train-all-time"] + info["valid-per-time"], rel=1e-12)
            assert info["valid-per-time"] == pytest.approx(nf.EVAL_SECONDS)


def test_random_search_on_ingested_files(tss):
    source, root = tss
    result = simulate_budget_search(root, method="random", runs=25,
                                    options=BudgetOptions(seed=9, budget_s=1_000))
    reference = Reference("nb201", _written(list(benchmark_arch_strs())), 1_000.0)
    runs = [reference.random_search(9, run) for run in range(25)]
    np.testing.assert_array_equal(result.chosen, [r.chosen for r in runs])
    assert (result.evaluations == 27).all()  # floor(1000 / 36.5) trainings of 36.5 s
    row = result.row()
    expected = [reference.written["targets"][("cifar10", "ori-test")][r.chosen] for r in runs]
    assert row["C10 test mean"] == pytest.approx(np.mean(expected), rel=1e-12)


def test_population_larger_than_the_space_repeats_archs(tss):
    """The initial population is drawn with replacement (as the reference's random_arch), so
    P may exceed the space; with no budget left for children the answer is its fittest."""
    _, root = tss
    result = simulate_budget_search(root, method="rea", runs=8,
                                    options=BudgetOptions(seed=1, budget_s=0, population=6))
    reference = Reference("nb201", _written(list(benchmark_arch_strs())), 0.0, population=6)
    runs = [reference.rea(1, run) for run in range(8)]
    np.testing.assert_array_equal(result.chosen, [r.chosen for r in runs])
    assert (result.evaluations == 6).all()
    np.testing.assert_allclose(result.time_s, 6 * 36.5)


def test_mutation_outside_the_ingested_archs_is_one_error(tss):
    _, root = tss
    out = CliRunner().invoke(main, ["search", "--root", str(root), "--method", "rea"])
    assert out.exit_code == 1
    assert out.output.count("\n") == 1 and out.output.startswith("Error: a mutation of arch ")
    assert "REA needs every arch of space 'nb201' ingested" in out.output


def test_missing_12_epoch_ground_truth_names_the_ingest(tmp_path):
    """A root with NB201 ground truth of its own but no 12-epoch rows does not read the
    shipped 12-epoch means (its own ground truth replaces the shipped one) and says how to
    get them."""
    _, only_200 = _ingest(tmp_path, "nb201", "NATS-tss-v1_0-3ffb9-simple",
                          list(benchmark_arch_strs()), {"200": TSS_BUDGETS["200"]})
    out = CliRunner().invoke(main, ["search", "--root", str(only_200), "--method", "rea,area"])
    assert out.exit_code == 1
    error = [line for line in out.output.splitlines() if line.startswith("Error: ")]
    assert error == [
        "Error: space 'nb201' has no accuracies for the fitness cifar10-valid:x-valid@12; "
        "ingest the benchmark's files with `naswot-db ingest --space nb201 --source "
        "NATS-tss-v1_0-3ffb9-simple` (a root without NB201 ground truth of its own reads the "
        "shipped 12-epoch seed means)"]


def test_ingested_times_win_over_the_cost_model(tss):
    """Measured per-seed values and times of an ingested file, not the shipped means and the
    model: every training costs the file's 12 x 3.0 s + 0.5 s, and the caption says so."""
    source, root = tss
    with open_source(root) as opened:
        tables = load_tables(opened, "nb201", None, None, None, "mean")
    assert tables.fitness_source == ONE_SEED and tables.cost_source == MEASURED_COST
    np.testing.assert_array_equal(tables.cost, 36.5)
    modelled = nb201_cost_12ep(tables.arch_strs)
    assert not np.isclose(modelled, 36.5).any()
    result = simulate_budget_search(root, method="random", runs=3,
                                    options=BudgetOptions(budget_s=1_000))
    caption = budget_caption(result)
    assert "(one random seed), cost measured: the ground truth's training + " \
           "evaluation times" in caption and "modelled" not in caption


def test_space_without_a_mutation_is_one_error(tss):
    _, root = tss
    out = CliRunner().invoke(main, ["search", "--root", str(root), "--method", "rea",
                                    "--space", "nds-darts"])
    assert out.exit_code == 1
    assert out.output.startswith("Error: space 'nds-darts' has no mutation")


def test_official_fixtures_cost_what_the_api_charges(tmp_path):
    """NATS-Bench's own fixture files: fitness and cost of arch 284 per seed, as
    ``get_more_info(..., is_random=seed)`` reports them."""
    source = validation_data() / "nats-bench-fixtures" / "NATS-tss-v1_0-3ffb9-simple"
    root = tmp_path / "db"
    assert CliRunner().invoke(main, ["ingest", "--space", "nb201", "--source", str(source),
                                     "--root", str(root)]).exit_code == 0
    api = nats_bench.create(str(source), "tss", fast_mode=True, verbose=False)
    with open_source(root) as opened:
        tables = load_tables(opened, "nb201", None, None, None, "mean")
    row = tables.arch_ids.tolist().index(284)
    for slot, seed in enumerate((111, 777)):
        info = api.get_more_info(284, "cifar10-valid", hp="12", is_random=seed)
        assert tables.fitness[row, slot] == pytest.approx(info["valid-accuracy"], rel=1e-12)
        assert tables.cost[row, slot] == pytest.approx(
            info["train-all-time"] + info["valid-per-time"], rel=1e-12)


def test_ground_truth_ingested_before_evaluation_times_names_the_ingest(tmp_path):
    """A part written without the eval_time_s column (an older ingest) reads it as NULL."""
    root = tmp_path / "db"
    part = accuracy_part("nb201", [0, 1], [80.0, 81.0], dataset="cifar10-valid",
                         split="x-valid", epochs=12, seed=777, train_times=[30.0, 31.0])
    folder = root / "accuracies" / "space=nb201"
    folder.mkdir(parents=True)
    old = part.drop_columns(["space", "eval_time_s"])
    old = old.append_column("schema_version", pa.array([SCHEMA_VERSION] * 2, pa.int32()))
    pq.write_table(old, folder / "old.parquet")
    write(root, "archs", arch_part("nb201", [0, 1], list(benchmark_arch_strs())[:2]), "nb201")
    for dataset, split in NB201_TARGETS:
        write(root, "accuracies", accuracy_part("nb201", [0, 1], [90.0, 91.0], dataset=dataset,
                                                split=split), "nb201")
    with pytest.raises(QueryError, match=r"no evaluation times for the fitness cifar10-valid:"
                                         r"x-valid@12; ingest .* `naswot-db ingest --space nb201"):
        simulate_budget_search(root, method="random", runs=2)
