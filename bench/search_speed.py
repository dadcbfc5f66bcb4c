"""Time the query layer on benchmark-sized tables: 500 simulated searches, a big correlation.

First, the best-of-N search against a plain NumPy script of the same draw (bench/numpy_search.py)
in this process, interleaved: 500 runs at N = 10, 100, 1000 on the shipped NB201 tables and on
an NB101-scale table in memory (423,624 archs x 15 replicates); both must give the same
statistics, and the ratio project / NumPy is printed per N with its spread over the rounds
(target: at most 1.0x).  Then:
Writes an NB201-sized score table (15,625 archs x 3 replicates, searched against the shipped
NB201 accuracies) and an NB101-sized one (423,624 archs, one replicate, one label) into a
temporary root, then prints: loading time, 500 runs at N = 10, 100, 1000 for each replicate
policy (target: under 0.1 s each), and a full-table correlation over 423,624 rows (target:
under 1 s).  Then the budgeted searches on whole NB201 / NATS-sss tables (naswot_db.testing.search_tables):
500 REA and 500 random-search runs at the 12,000 s budget (target: REA under 1 s) and 50 AREA
runs (target: under 0.2 s), loading excluded.  Last, the CLI in fresh processes on an NB101-scale
root of 423,624 archs x 15 replicates: ``search --space nb101 --n 10,100,1000`` (target: under
2 s wall, under 1 GB), ``sql "select count(*) from scores"`` and ``info``, first as a build in
progress (or a killed build) leaves it: written by the builder's own part writer, 6,620
64-arch parts merged as it goes into 234, then after the compaction a finished build ends with.
Usage: ``OMP_NUM_THREADS=1 python bench/search_speed.py [--nb101-scale-only | --vs-numpy-only]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from fresh_process import best_run
from numpy_search import numpy_search
from naswot_db.testing.query_tables import accuracy_part, score_part, write
from naswot_db.testing.search_tables import write_space

from naswot_db.query import connect, correlations
from naswot_db.query.searches.best_of_n import SearchTables, load_search_tables, search_tables
from naswot_db.query.searches import BudgetOptions, run_budget_search
from naswot_db.query.searches.mutations import mutation_for
from naswot_db.query.searches.simulate import load_score_lookup, load_tables
from naswot_db.query.selection import ScoreConfig, choose_config, open_source
from naswot_db.query.targets import Target, resolve_targets
from naswot_db.schema import SCORES, part_files

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
    write(root, "scores", score_part("nb101", ids, accuracy * 10 + rng.normal(0, 30, NB101_ARCHS),
                                     batch_size=128), "nb101")
    write(root, "accuracies", accuracy_part("nb101", ids, accuracy, dataset="cifar10",
                                            split="ori-test", epochs=108), "nb101")


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
        seconds = _best_of(3, lambda: correlations(root, space="nb101", top_k=(1, 5, 10),
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


NB101_REPLICATES = 15
VERSUS_ROUNDS = 15


def _shipped_nb201() -> SearchTables:
    with open_source(None) as source:
        config = choose_config(source, "nb201", "cifar10")
        return load_search_tables(source, "nb201", "cifar10",
                                  resolve_targets(source.connection, "nb201"), config)


def _nb101_scale_tables() -> SearchTables:
    """423,624 archs x 15 replicates, every cell stored, test and valid accuracy."""
    rng = np.random.default_rng(2)
    accuracy = rng.uniform(80, 95, NB101_ARCHS)
    values = accuracy[:, None] * 10 + rng.normal(0, 30, (NB101_ARCHS, NB101_REPLICATES))
    targets = [Target("cifar10", split, 108, f"{split} 108") for split in ("valid", "test")]
    accuracies = np.stack([accuracy + rng.normal(0, 0.5, NB101_ARCHS) for _ in targets], axis=1)
    accuracies = np.asfortranarray(accuracies)  # as load_search_tables lays them out
    return SearchTables("nb101", "cifar10", ScoreConfig("0123456789abcdef", 128),
                        np.arange(NB101_ARCHS), [(s, 0) for s in range(NB101_REPLICATES)],
                        values, rng.uniform(0.2, 0.4, values.shape),
                        np.ones(values.shape, bool), targets, accuracies, accuracies.max(axis=0))


def _same_statistics(project, plain: dict, n: int) -> None:
    """The two implementations drew the same runs: every statistic equal."""
    rows = {row["method"]: row for row in project.rows if row["n"] == n}
    for i, target in enumerate(project.targets):
        for method in ("naswot", "best_of_n"):
            for stat in ("mean", "std"):
                assert rows[method][f"{target.label} {stat}"] == plain[n][f"{method} {stat}"][i]
    assert rows["naswot"]["time_mean_s"] == plain[n]["time mean"]
    assert rows["naswot"]["time_std_s"] == plain[n]["time std"]
    pooled = {row["method"]: row for row in project.rows if row["n"] is None}
    for i, target in enumerate(project.targets):
        for stat in ("mean", "std"):
            assert pooled["random_arch"][f"{target.label} {stat}"] == plain["random_arch"][stat][i]
        assert pooled["optimal"][f"{target.label} mean"] == plain["optimal"]["mean"][i]
    assert rows["naswot"]["runs_all_nonfinite"] == plain[n]["runs_all_nonfinite"]


def _versus_numpy() -> None:
    """naswot-db's search_tables against numpy_search, interleaved round by round."""
    for name, tables in (("NB201 shipped (15,625 x 1)", _shipped_nb201()),
                         (f"NB101 scale ({NB101_ARCHS:,} x {NB101_REPLICATES})",
                          _nb101_scale_tables())):
        accuracy_columns = [np.ascontiguousarray(c) for c in tables.accuracies.T]
        for n in (10, 100, 1000):
            def project():
                return search_tables(tables, [n], RUNS, True, 0, "random")

            def plain():
                return numpy_search(tables.values, tables.times, tables.present,
                                    accuracy_columns, [n], RUNS, 0)

            _same_statistics(project(), plain(), n)
            ours, theirs = [], []
            for _ in range(VERSUS_ROUNDS):  # each side's best of 3 per round: load spikes
                ours.append(_best_of(3, project))
                theirs.append(_best_of(3, plain))
            ratios = np.array(ours) / np.array(theirs)
            print(f"{name}, {RUNS} runs, N = {n:>4}: naswot-db {np.median(ours) * 1e3:7.2f} ms, "
                  f"numpy {np.median(theirs) * 1e3:7.2f} ms, ratio {np.median(ratios):.2f}x "
                  f"(median of {VERSUS_ROUNDS} interleaved rounds, best of 3 each; quartiles "
                  f"{np.quantile(ratios, 0.25):.2f}-{np.quantile(ratios, 0.75):.2f}x)")
BUILDER_CHUNK_ARCHS = 64  # the builder's default --chunk-size: a part = 64 archs x every replicate


def _nb101_job(root: Path):
    """What a build of 15 init seeds hands its part writer (no network is scored here)."""
    from naswot_db.builder.runner.scoring_loop import ScoringJob

    pending = {(seed, 0): np.ones(NB101_ARCHS, bool) for seed in range(NB101_REPLICATES)}
    return ScoringJob(
        space="nb101", scores=("naswot",), root=root, arch_ids=np.arange(NB101_ARCHS),
        pending={"naswot": pending}, positions=np.arange(NB101_ARCHS),
        init_seeds=list(range(NB101_REPLICATES)), batch_seeds=[0], images={}, blank=None,
        labels={}, num_classes=10, config_ids={"naswot": "0123456789abcdef"}, device="cpu", precision="fp32",
        chunk_archs=BUILDER_CHUNK_ARCHS, part_prefix="run-0",
        static={"dataset": "cifar10", "batch_size": 128, "run_id": "run-0"})


def _write_nb101_scale(root: Path) -> tuple[int, int]:
    """NB101's size as a build in progress leaves it: 423,624 archs x 15 replicates (init seeds
    0-14), written in builder order by the builder's own part writer (one part per 64-arch
    chunk, merged as it goes), plus NB101-shaped labels (valid/test at 108 epochs, 3 seeds and
    their mean, one ingest part).  Returns (parts written, parts visible)."""
    from naswot_db.builder.runner.scoring_loop import ChunkWriter

    rng = np.random.default_rng(1)
    accuracy = rng.uniform(80, 95, NB101_ARCHS)
    writer = ChunkWriter(_nb101_job(root))
    for start in range(0, NB101_ARCHS, BUILDER_CHUNK_ARCHS):
        ids = np.arange(start, min(start + BUILDER_CHUNK_ARCHS, NB101_ARCHS))
        arch_ids = np.repeat(ids, NB101_REPLICATES)
        values = accuracy[arch_ids] * 10 + rng.normal(0, 30, arch_ids.size)
        times = rng.uniform(0.2, 0.4, arch_ids.size)
        seeds = np.tile(np.arange(NB101_REPLICATES), ids.size)
        writer.add([{"score": "naswot", "config_id": "0123456789abcdef", "arch_id": a,
                     "init_seed": s, "batch_seed": 0, "value": v, "status": "ok",
                     "error": None, "reference_raises": False, "time_s": t}
                    for a, s, v, t in zip(arch_ids.tolist(), seeds.tolist(), values.tolist(),
                                          times.tolist())])
    writer.flush()
    labels = [accuracy_part("nb101", np.arange(NB101_ARCHS),
                            accuracy + (0 if seed is None else rng.normal(0, 0.5, NB101_ARCHS)),
                            dataset="cifar10", split=split, epochs=108, seed=seed)
              for split in ("valid", "test") for seed in (0, 1, 2, None)]
    write(root, "accuracies", pa.concat_tables(labels), "nb101")
    return writer.parts, len(part_files(root, SCORES, "nb101"))


NB101_COMMANDS = (["search", "--space", "nb101", "--n", "10,100,1000"],
                  ["sql", "select count(*) from scores"], ["info"])


def _time_commands(root: Path) -> None:
    for args in NB101_COMMANDS:
        run = best_run([*args, "--root", str(root)], 3)
        print(f"  naswot-db {' '.join(args)}: {run.wall_s:.2f} s wall, "
              f"{run.peak_mb:,.0f} MB peak (fresh process, best of 3)")


def _nb101_scale_cli() -> None:
    """The CLI on an NB101-scale root in fresh processes (target: search under 2 s, 1 GB), as
    a build in progress (or a killed one) leaves it, then as a finished build leaves it."""
    from naswot_db.builder.runner.end_compaction import compact_after_build

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        start = time.perf_counter()
        written, visible = _write_nb101_scale(root)
        print(f"NB101 scale: {NB101_ARCHS:,} archs x {NB101_REPLICATES} replicates = "
              f"{NB101_ARCHS * NB101_REPLICATES:,} score rows written by the builder's part "
              f"writer as {written:,} {BUILDER_CHUNK_ARCHS}-arch parts, merged as it goes into "
              f"{visible:,} parts ({time.perf_counter() - start:.1f} s; a build in progress or a "
              f"killed build)")
        _time_commands(root)
        start = time.perf_counter()
        note = compact_after_build(root, "nb101")
        print(f"as a finished build leaves it, after its end-of-build compaction "
              f"({time.perf_counter() - start:.1f} s): {note}")
        _time_commands(root)


if __name__ == "__main__":
    if "--nb101-scale-only" not in sys.argv[1:]:
        _versus_numpy()
        if "--vs-numpy-only" in sys.argv[1:]:
            sys.exit()
        main()
    _nb101_scale_cli()
