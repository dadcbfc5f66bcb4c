"""REA and AREA on NAS-Bench-201 beside the NASWOT paper's Table 2(a), and what moves them.

By default on a fresh root, i.e. the data shipped with naswot-db: NB201's 12-epoch seed means
as fitness, the modelled 12-epoch cost (data/shipped/TIME-MODEL.md) and the shipped CIFAR-10
NASWOT scores.  With ``--source`` it first ingests a NATS-Bench tss file (the ``-simple``
directory or the whole-benchmark ``.pickle.pbz2``) into ``--root``, so the searches draw one
random seed's accuracy and charge the measured times, as the reference does.

Prints, at the paper's settings (12,000 s, P 10, S 3, M 20):

1. random search (500 runs), REA (500), AREA (50 and 500) and AREA ranked by each other score
   the root holds (500), each beside the paper's row, with the difference per cell in units of
   its noise: z = (ours - paper) / sqrt(sd_ours^2 / runs_ours + sd_paper^2 / runs_paper) for
   the means, and with sd^2 / (2 runs) for the stds;
2. ablations of REA and AREA (500 runs each), one change at a time: the cost model scaled by
   0.9 and 0.8 (more trainings in the budget), the tournament without replacement, the
   training that crosses the budget counted, a constant cost (the model's mean), the model
   with a fixed 3 % per-arch error, per-seed fitness noise (two pseudo-seeds m +- d per arch,
   d ~ N(0, sd^2), sd from the three official fixtures), and ImageNet16-120's 12-epoch x-valid
   as the fitness (a per-dataset search);
3. the search time of each method (loading excluded, best of 3, interleaved with NASWOT's
   500 runs at N = 10, 100, 1000 as the baseline);
4. an anytime plot (best-so-far accuracy vs simulated time) of random search, REA and AREA
   with NASWOT's rows (``--plot``).

Usage: ``python bench/reproduce_area.py [--source NATS-tss-v1_0-3ffb9-simple --root DIR]
[--plot area-anytime.png] [--seed 0]``
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from naswot_db.builder.ingest import ingest_ground_truth
from naswot_db.query import connect, simulate_search
from naswot_db.query.formatting import render
from naswot_db.query.searches.report import budget_caption, search_caption
from naswot_db.query.searches.plots import anytime_plot
from naswot_db.query.searches.best_of_n import load_search_tables, search_tables
from naswot_db.query.searches import BudgetOptions, run_budget_search
from naswot_db.query.searches.compare import SearchComparison
from naswot_db.query.searches.ground_truth import EvaluationTables
from naswot_db.query.searches.mutations import mutation_for
from naswot_db.query.searches.paper import PAPER_NB201, PAPER_RUNS
from naswot_db.query.searches.simulate import load_score_lookup, load_tables
from naswot_db.query.selection import choose_config, fetch_columns, open_source
from naswot_db.query.targets import resolve_targets

COLUMNS = ["C10 valid", "C10 test", "C100 valid", "C100 test", "IN16 valid", "IN16 test"]
VALID = ["C10 valid", "C100 valid", "IN16 valid"]
# 12-epoch cifar10-valid x-valid of seeds 111 and 777 in the official NATS-Bench fixture
# records of archs 0, 11, 284 (shared/data/nats-bench-fixtures): d = half the difference
FIXTURE_SEEDS = [(64.01599998291016, 62.71199997802734), (62.57999999267578, 63.975999975585935),
                 (71.70799999023437, 74.04400000488282)]
MODEL_ERROR = 0.03  # TIME-MODEL.md: leave-one-out mean error 2.8 %


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None,
                        help="NATS-Bench tss file to ingest [default: the shipped data]")
    parser.add_argument("--root", type=Path, default=None,
                        help="database root [default: a fresh temporary one]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", type=Path, default=Path("area-anytime.png"))
    return parser.parse_args()


def _cell(row: dict, column: str) -> str:
    return f"{row[f'{column} mean']:.2f}±{row[f'{column} std']:.2f}"


def _z(row: dict, column: str, runs: int, paper: tuple[float, float], paper_runs: int) -> float:
    """The difference of the means over its standard error."""
    mean, std = row[f"{column} mean"], row[f"{column} std"]
    return (mean - paper[0]) / np.hypot(std / np.sqrt(runs), paper[1] / np.sqrt(paper_runs))


def _z_std(row: dict, column: str, runs: int, paper: tuple[float, float],
           paper_runs: int) -> float:
    """The difference of the stds over its standard error (sd / sqrt(2 runs) each)."""
    std = row[f"{column} std"]
    return (std - paper[1]) / np.hypot(std / np.sqrt(2 * runs), paper[1] / np.sqrt(2 * paper_runs))


def _main_rows(name: str, method: str, result) -> list[dict]:
    row = result.row()
    ours = {"method": name, "runs": result.settings.runs,
            **{c: _cell(row, c) for c in COLUMNS},
            "archs trained": f"{row['evaluations_mean']:.1f}",
            "time (s)": f"{row['time_mean_s']:.0f}"}
    paper = PAPER_NB201.get((method, None))
    if paper is None:
        return [ours]
    paper_runs = PAPER_RUNS[method]
    return [ours,
            {"method": "  paper", "runs": paper_runs,
             **{c: f"{m:.2f}±{s:.2f}" for c, (m, s) in paper.items()}},
            {"method": "  z of the mean", "runs": "",
             **{c: f"{_z(row, c, result.settings.runs, cell, paper_runs):+.1f}"
                for c, cell in paper.items()}},
            {"method": "  z of the std", "runs": "",
             **{c: f"{_z_std(row, c, result.settings.runs, cell, paper_runs):+.1f}"
                for c, cell in paper.items()}}]


def _seed_noise(tables: EvaluationTables, sd: float, seed: int) -> EvaluationTables:
    """Two pseudo-seeds per arch, m + d and m - d (d ~ N(0, sd^2)): their mean is the stored
    mean, and each training draws one of them as the reference's ``is_random=True`` does."""
    d = np.random.default_rng(seed).normal(0.0, sd, tables.size)
    mean = tables.fitness[:, 0]
    return dataclasses.replace(
        tables, fitness=np.stack([mean + d, mean - d], axis=1),
        cost=np.repeat(tables.cost[:, :1], 2, axis=1), seed_counts=np.full(tables.size, 2),
        fitness_source=f"two modelled seeds, sd {sd:.2f}")


def _ablations(tables: EvaluationTables, in16_fitness: np.ndarray,
               seed: int) -> list[tuple[str, EvaluationTables, BudgetOptions]]:
    base = BudgetOptions(seed=seed)
    model = tables.cost[:, :1]
    sd = float(np.sqrt(np.mean([((a - b) / 2) ** 2 for a, b in FIXTURE_SEEDS])))
    error = 1 + np.random.default_rng(seed + 1).normal(0.0, MODEL_ERROR, (tables.size, 1))
    constant = dataclasses.replace(tables, cost=np.full_like(tables.cost, float(model.mean())),
                                   cost_source="constant, the model's mean")
    perturbed = dataclasses.replace(tables, cost=tables.cost * error,
                                    cost_source=f"model x (1 + N(0, {MODEL_ERROR:.2f}))")
    return [
        ("as run above", tables, base),
        ("cost model x 0.9", dataclasses.replace(tables, cost=tables.cost * 0.9), base),
        ("cost model x 0.8", dataclasses.replace(tables, cost=tables.cost * 0.8), base),
        ("tournament without replacement", tables,
         dataclasses.replace(base, tournament_replace=False)),
        ("training crossing the budget counts", tables, dataclasses.replace(base, keep_last=True)),
        ("constant cost (model mean)", constant, base),
        (f"model cost with {MODEL_ERROR:.0%} per-arch error", perturbed, base),
        (f"per-seed noise, sd {sd:.2f} (fixtures)", _seed_noise(tables, sd, seed + 2), base),
        ("fitness ImageNet16-120 x-valid@12 (model cost)",
         dataclasses.replace(tables, fitness=in16_fitness), base),
    ]


def _ablation_table(tables: EvaluationTables, in16_fitness: np.ndarray, scores,
                    seed: int) -> pd.DataFrame:
    mutation = mutation_for(tables)
    rows = []
    for name, changed, options in _ablations(tables, in16_fitness, seed):
        for method in ("rea", "area"):
            result = run_budget_search(changed, method, 500, options, scores, "random", mutation)
            row = result.row()
            paper = PAPER_NB201[(method, None)]
            rows.append({"change": name, "method": method.upper(),
                         **{c: f"{_cell(row, c)} "
                                f"({_z(row, c, 500, paper[c], PAPER_RUNS[method]):+.1f})"
                            for c in VALID},
                         "archs trained": f"{row['evaluations_mean']:.1f}"
                                          f"±{result.evaluations.std():.1f}"})
    return pd.DataFrame(rows)


def _timings(root: Path, tables: EvaluationTables, scores, seed: int) -> pd.DataFrame:
    """Best of 3 per method, interleaved; NASWOT's 500 runs at N = 10, 100, 1000 as baseline."""
    with open_source(root) as source:
        resolve_targets(source.connection, "nb201")  # installs the labels view
        config = choose_config(source, "nb201", "cifar10", None, None, "naswot")
        naswot_tables = load_search_tables(source, "nb201", "cifar10", tables.targets, config)
    mutation = mutation_for(tables)
    jobs = {"naswot (N = 10, 100, 1000)":
            lambda: search_tables(naswot_tables, [10, 100, 1000], 500, seed=seed)}
    for method in ("random", "rea", "area"):
        jobs[method] = (lambda m=method: run_budget_search(
            tables, m, 500, BudgetOptions(seed=seed), scores, "random", mutation))
    best = {name: np.inf for name in jobs}
    for _ in range(3):
        for name, job in jobs.items():
            start = time.perf_counter()
            job()
            best[name] = min(best[name], time.perf_counter() - start)
    return pd.DataFrame([{"method": name, "runs": 500, "search time (s)": f"{seconds:.3f}"}
                         for name, seconds in best.items()])


def _seed_means(source, tables: EvaluationTables, dataset: str) -> np.ndarray:
    """(archs, 1) 12-epoch x-valid seed means of ``dataset`` in the tables' row order."""
    rows = fetch_columns(source, (
        "SELECT arch_id, accuracy FROM accuracies WHERE space = 'nb201' AND dataset = ? AND "
        "split = 'x-valid' AND epochs = 12 AND seed IS NULL ORDER BY arch_id"), [dataset])
    if not np.array_equal(rows["arch_id"], tables.arch_ids):
        raise SystemExit(f"{dataset} 12-epoch means do not cover the searched archs")
    return rows["accuracy"][:, None]


def _other_scores(root: Path) -> list[str]:
    with connect(root) as connection:
        return [s for (s,) in connection.execute(
            "SELECT DISTINCT score FROM scores WHERE space = 'nb201' AND dataset = 'cifar10' "
            "ORDER BY score").fetchall() if s != "naswot"]


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory() as folder:
        root = args.root or Path(folder) / "db"
        if args.source is not None:
            print(f"ingesting {args.source} into {root} ...", flush=True)
            ingest_ground_truth("nb201", args.source, root)
        with open_source(root) as source:
            tables = load_tables(source, "nb201", None, None, None, "mean")
            scores = {score: load_score_lookup(source, tables, "cifar10", "random", None, None,
                                               False, score)
                      for score in ["naswot", *_other_scores(root)]}
            in16 = _seed_means(source, tables, "ImageNet16-120")
        naswot = simulate_search(root, space="nb201", n=(10, 100, 1000), seed=args.seed)
        mutation = mutation_for(tables)
        options = BudgetOptions(seed=args.seed)
        results = {
            ("random search", "random"): run_budget_search(tables, "random", 500, options),
            ("REA", "rea"): run_budget_search(tables, "rea", 500, options, mutation=mutation),
        }
        for runs in (50, 500):
            results[(f"AREA ({runs} runs)", "area")] = run_budget_search(
                tables, "area", runs, options, scores["naswot"], "random", mutation)
        for score, lookup in scores.items():
            if score != "naswot":
                results[(f"AREA with {score}", f"area-{score}")] = run_budget_search(
                    tables, "area", 500, options, lookup, "random", mutation)
        print(search_caption(naswot))
        for result in results.values():
            print(budget_caption(result))
        print()
        print(render(pd.DataFrame([row for (name, method), result in results.items()
                                   for row in _main_rows(name, method, result)]).fillna(""),
                     "table"))
        print("\nAblations, 500 runs each; cells: mean±std (z against the paper's row)")
        print(render(_ablation_table(tables, in16, scores["naswot"], args.seed), "table"))
        print("\nSearch time, loading excluded (best of 3, interleaved)")
        print(render(_timings(root, tables, scores["naswot"], args.seed), "table"))
        comparison = SearchComparison("nb201", tables.targets, naswot,
                                      [results[("random search", "random")],
                                       results[("REA", "rea")],
                                       results[("AREA (500 runs)", "area")]])
        print(f"\nwrote {anytime_plot(comparison, args.plot)}")


if __name__ == "__main__":
    main()
