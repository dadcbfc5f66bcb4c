"""Time the query layer on benchmark-sized tables: 500 simulated searches, a big correlation.

Writes an NB201-sized score table (15,625 archs x 3 replicates, searched against the shipped
NB201 accuracies) and an NB101-sized one (423,624 archs, one replicate, one label) into a
temporary root, then prints: loading time, 500 runs at N = 10, 100, 1000 for each replicate
policy (target: under 0.1 s each), and a full-table correlation over 423,624 rows (target:
under 1 s).  Then the budgeted searches on whole NB201 / NATS-sss tables (tests/search_tables.py):
500 REA and 500 random-search runs at the 12,000 s budget (target: REA under 1 s) and 50 AREA
runs (target: under 0.2 s), loading excluded.  Usage: ``OMP_NUM_THREADS=1 python bench/search_speed.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from query_tables import accuracy_part, score_part, write  # noqa: E402
from search_tables import write_space  # noqa: E402

from naswot_db.query import connect, correlations  # noqa: E402
from naswot_db.query.search import load_search_tables, search_tables  # noqa: E402
from naswot_db.query.searches import BudgetOptions, run_budget_search  # noqa: E402
from naswot_db.query.searches.mutations import mutation_for  # noqa: E402
from naswot_db.query.searches.simulate import load_score_lookup, load_tables  # noqa: E402
from naswot_db.query.selection import choose_config, open_source  # noqa: E402
from naswot_db.query.targets import resolve_targets  # noqa: E402

NB201_ARCHS = 15_625
NB101_ARCHS = 423_624
RUNS = 500


def _best_of(repeats: int, action) -> float:
    """Smallest wall time of ``repeats`` calls (the machine is shared)."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def _write_tables(root: Path) -> None:
    rng = np.random.default_rng(0)
    ids = np.arange(NB201_ARCHS)
    for init_seed in range(3):
        values = rng.normal(1500, 50, NB201_ARCHS)
        values[rng.random(NB201_ARCHS) < 0.013] = -np.inf
        write(root, "scores", score_part("nb201", ids, values, init_seed=init_seed,
                                         batch_size=128, times=rng.uniform(0.2, 0.4, NB201_ARCHS)),
              "nb201")
    ids = np.arange(NB101_ARCHS)
    accuracy = rng.uniform(80, 95, NB101_ARCHS)
    write(root, "scores", score_part("big", ids, accuracy * 10 + rng.normal(0, 30, NB101_ARCHS),
                                     batch_size=128), "big")
    write(root, "accuracies", accuracy_part("big", ids, accuracy, dataset="cifar10",
                                            split="ori-test", epochs=108), "big")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _write_tables(root)
        connection = connect(root)
        with open_source(root, connection) as source:
            def load():
                config = choose_config(source, "nb201", "cifar10")
                targets = resolve_targets(connection, "nb201")
                return load_search_tables(source, "nb201", "cifar10", targets, config)

            tables = load()
            print(f"load NB201 scores (3 x {NB201_ARCHS:,}) + 6 accuracy columns: "
                  f"{_best_of(3, load):.3f} s")
            for policy in ("random", "mean", (0, 0)):
                for n in (10, 100, 1000):
                    seconds = _best_of(5, lambda: search_tables(tables, [n], RUNS, True, 0, policy))
                    print(f"search {RUNS} runs, N = {n:>4}, replicate {policy!s:>6}: "
                          f"{seconds * 1000:7.1f} ms")
            seconds = _best_of(3, lambda: search_tables(tables, [1000], RUNS, False, 0, "random"))
            print(f"search {RUNS} runs, N = 1000 without replacement:  {seconds * 1000:7.1f} ms")
        seconds = _best_of(3, lambda: correlations(root, space="big", top_k=(1, 5, 10),
                                                   connection=connection))
        print(f"correlation (tau-b, Spearman, Pearson, top-k) over {NB101_ARCHS:,} rows, "
              f"end to end from the views: {seconds:.3f} s")
        connection.close()
    _budgeted_searches()


def _budgeted_searches() -> None:
    """REA, AREA and random search at the paper's budget, runs and settings."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for space in ("nb201", "nats-sss"):
            write_space(root, space)
        with open_source(root) as source:
            for space in ("nb201", "nats-sss"):
                tables = load_tables(source, space, None, None, None, "mean")
                scores = load_score_lookup(source, tables, "cifar10", "random", None, None,
                                           False)
                mutation = mutation_for(tables)
                for method, runs in (("rea", RUNS), ("random", RUNS), ("area", 50)):
                    def search():
                        return run_budget_search(tables, method, runs, BudgetOptions(), scores,
                                                 "random", mutation)

                    result, seconds = search(), _best_of(3, search)
                    print(f"{space} {method:>6}: {runs} runs at 12,000 s "
                          f"({result.evaluations.mean():.0f} trainings each): "
                          f"{seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
