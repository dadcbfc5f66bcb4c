"""simulate_search against a plain per-run loop over the rows the tests wrote."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from naswot_db.testing.query_tables import accuracy_part, arch_part, score_part, write

from naswot_db.core.names import UnknownNameError
from naswot_db.cli import main
from naswot_db.query import QueryError, simulate_search
from naswot_db.schema import shipped_root

SPACE = "nats-sss"
ARCHS = np.arange(40)
# replicate -> archs that have it (a partial build for two of them)
REPLICATES = {(0, 0): ARCHS, (1, 0): ARCHS[:30], (0, 1): ARCHS[:20]}
RAISES = {2, 12}
UNLABELLED = 39          # scored, but no cifar100 label: never drawn
BEST_UNSCORED = 100      # labelled only: counts for "optimal", never drawn


def _raw_scores() -> dict[int, dict[tuple[int, int], tuple[float, float]]]:
    rng = np.random.default_rng(5)
    raw: dict[int, dict] = {int(a): {} for a in ARCHS}
    for index, (pair, archs) in enumerate(REPLICATES.items()):
        values = np.round(rng.normal(size=archs.size), 1)  # rounding makes ties
        values[archs % 7 == 3 + index] = np.nan
        values[archs % 5 == 1 + index] = -np.inf
        values[np.isin(archs, list(RAISES))] = 50.0        # finite where the reference raises
        times = rng.uniform(0.1, 1.0, archs.size)
        for arch, value, time_s in zip(archs, values, times):
            raw[int(arch)][pair] = (float(value), float(time_s))
    return raw


def _labels() -> dict[str, dict[int, float]]:
    rng = np.random.default_rng(6)
    c10 = {int(a): float(v) for a, v in zip(ARCHS, rng.uniform(50, 95, ARCHS.size))}
    c100 = {int(a): float(v) for a, v in zip(ARCHS, rng.uniform(20, 75, ARCHS.size))
            if a != UNLABELLED}
    c10[BEST_UNSCORED], c100[BEST_UNSCORED] = 99.0, 80.0
    # the space has two budgets (200 and 12 epochs), so labels name the budget
    return {"cifar10/ori-test@200": c10, "cifar100/x-test@200": c100}


RAW, LABELS = _raw_scores(), _labels()


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("search") / "db"
    for pair, archs in REPLICATES.items():
        values = [RAW[int(a)][pair][0] for a in archs]
        times = [RAW[int(a)][pair][1] for a in archs]
        write(root, "scores", score_part(SPACE, archs, values, init_seed=pair[0],
                                         batch_seed=pair[1], times=times,
                                         raises=np.isin(archs, list(RAISES))), SPACE)
    for label, column in LABELS.items():
        dataset, split = label.split("@")[0].split("/")
        write(root, "accuracies", accuracy_part(SPACE, list(column), list(column.values()),
                                                dataset=dataset, split=split), SPACE)
    # other budgets and single seeds must not leak into the default targets
    c10 = LABELS["cifar10/ori-test@200"]
    write(root, "accuracies", accuracy_part(SPACE, list(c10), [1.0] * len(c10),
                                            dataset="cifar10", split="ori-test", epochs=12), SPACE)
    write(root, "accuracies", accuracy_part(SPACE, list(c10), [2.0] * len(c10),
                                            dataset="cifar10", split="ori-test", seed=777), SPACE)
    write(root, "archs", arch_part(SPACE, list(ARCHS) + [BEST_UNSCORED]), SPACE)
    return root


def _score(arch: int, policy, replicate_pair, as_reference: bool) -> tuple[float, float]:
    if as_reference and arch in RAISES:
        value_time = [(0.0, t) for _, t in RAW[arch].values()]
    else:
        value_time = list(RAW[arch].values())
    if policy == "mean":
        return float(np.mean([v for v, _ in value_time])), float(np.mean([t for _, t in value_time]))
    value, time_s = RAW[arch][replicate_pair]
    return (0.0 if as_reference and arch in RAISES else value), time_s


def _pool(policy) -> set[int]:
    scored = set(RAW) if policy in ("random", "mean") else set(map(int, REPLICATES[policy]))
    return {a for a in scored if all(a in column for column in LABELS.values())}


def _expected(result, n: int, policy, as_reference: bool):
    """Per-run loop: pick the first highest finite score (nanargmax semantics, -inf never)."""
    draws = result.draws[n]
    naswot, best_of_n, first, times, nonfinite = [], [], [], [], 0
    for run in range(result.runs):
        values, run_time = [], 0.0
        for j, arch in enumerate(draws.arch_ids[run]):
            arch = int(arch)
            if policy == "random":
                pair = result.replicates[draws.replicates[run, j]]
                assert pair in RAW[arch], "drew a replicate the arch does not have"
            else:
                pair = policy
            value, time_s = _score(arch, policy, pair, as_reference)
            values.append(value)
            run_time += time_s
        best = None
        for j, value in enumerate(values):
            if np.isfinite(value) and (best is None or value > values[best]):
                best = j
        archs = [int(a) for a in draws.arch_ids[run]]
        if best is None:
            nonfinite += 1
            assert draws.chosen[run] == -1
        else:
            assert draws.chosen[run] == archs[best]
            naswot.append([LABELS[t][archs[best]] for t in LABELS])
        best_of_n.append([max(LABELS[t][a] for a in archs) for t in LABELS])
        first.append([LABELS[t][archs[0]] for t in LABELS])
        times.append(run_time)
    return np.array(naswot), np.array(best_of_n), np.array(first), np.array(times), nonfinite


def _row(table, method, n=None):
    rows = table[(table["method"] == method) & ((table["n"] == n) if n else table["n"].isna())]
    assert len(rows) == 1
    return rows.iloc[0]


def _check_stats(row, accuracies: np.ndarray) -> None:
    for i, label in enumerate(LABELS):
        assert row[f"{label} mean"] == pytest.approx(accuracies[:, i].mean(), abs=1e-9)
        assert row[f"{label} std"] == pytest.approx(accuracies[:, i].std(), abs=1e-9)


@pytest.mark.parametrize("policy, replace, as_reference", [
    ("random", True, False), ("random", False, True), ("mean", True, True),
    ("mean", False, False), ((0, 0), True, False), ((1, 0), False, True), ((0, 1), True, True),
])
def test_every_statistic_matches_a_per_run_loop(root, policy, replace, as_reference):
    n_values = (1, 3, 8)
    result = simulate_search(root, space=SPACE, dataset="cifar10", n=n_values, runs=150,
                             replace=replace, seed=3, replicate=policy,
                             as_reference=as_reference)
    table = result.table()
    assert [t.label for t in result.targets] == list(LABELS)
    pool = _pool(policy)
    assert result.pool_size == len(pool)
    assert result.unlabelled == (1 if UNLABELLED in (set(RAW) if isinstance(policy, str)
                                                     else REPLICATES[policy]) else 0)
    firsts = []
    for n in n_values:
        draws = result.draws[n].arch_ids
        assert draws.shape == (150, n)
        assert set(draws.ravel().tolist()) <= pool
        if not replace:
            assert all(len(set(row)) == n for row in draws.tolist())
        naswot, best_of_n, first, times, nonfinite = _expected(result, n, policy, as_reference)
        firsts.append(first)
        row = _row(table, "naswot", n)
        assert row["runs_all_nonfinite"] == nonfinite
        assert row["runs"] == 150 - nonfinite
        assert row["time_mean_s"] == pytest.approx(times.mean(), abs=1e-9)
        assert row["time_std_s"] == pytest.approx(times.std(), abs=1e-9)
        _check_stats(row, naswot)
        _check_stats(_row(table, "best_of_n", n), best_of_n)
    assert set(result.draws[8].arch_ids.ravel().tolist()) == pool  # the whole pool is drawn
    _check_stats(_row(table, "random_arch"), np.concatenate(firsts))
    optimal = _row(table, "optimal")
    assert optimal["cifar10/ori-test@200 mean"] == 99.0
    assert optimal["cifar100/x-test@200 mean"] == 80.0


def test_draws_follow_the_documented_random_stream(root):
    result = simulate_search(root, space=SPACE, n=(4, 6), runs=20, seed=11, replicate="random")
    pool = np.array(sorted(_pool("random")))
    rng = np.random.default_rng(11)
    for n in (4, 6):
        rows = rng.integers(0, pool.size, (20, n))
        assert np.array_equal(result.draws[n].arch_ids, pool[rows])
        stored = [[p for p in result.replicates if p in RAW[int(a)]] for a in pool]
        counts = np.array([len(s) for s in stored])
        which = (rng.random((20, n)) * counts[rows]).astype(int)
        expected = [[result.replicates.index(stored[r][w]) for r, w in zip(rr, ww)]
                    for rr, ww in zip(rows, which)]
        assert np.array_equal(result.draws[n].replicates, expected)


def test_runs_with_only_non_finite_scores_are_counted_and_left_out(tmp_path):
    archs = np.arange(10)
    values = [np.nan, -np.inf, np.nan, -np.inf, np.nan, -np.inf, np.nan, -np.inf, 1.0, 2.0]
    write(tmp_path, "scores", score_part("nats-sss", archs, values), "nats-sss")
    write(tmp_path, "accuracies", accuracy_part("nats-sss", archs, archs * 10.0, dataset="cifar10",
                                                split="ori-test"), "nats-sss")
    result = simulate_search(tmp_path, space="nats-sss", n=(2,), runs=400, seed=1, replicate=(0, 0))
    draws = result.draws[2].arch_ids
    all_bad = ~np.isin(draws, [8, 9]).any(axis=1)
    row = _row(result.table(), "naswot", 2)
    assert 0 < all_bad.sum() == row["runs_all_nonfinite"]
    good = draws[~all_bad]
    picked = np.where((good == 9).any(axis=1), 90.0, 80.0)   # 2.0 beats 1.0, both beat non-finite
    assert row["cifar10/ori-test mean"] == pytest.approx(picked.mean())
    assert np.all(result.draws[2].chosen[all_bad] == -1)


def test_nb201_paper_search_on_shipped_accuracies(tmp_path):
    """Score = floor(C10 test accuracy), -inf where arch_id % 97 == 0, NaN where % 101 == 0."""
    shipped = pq.read_table(next((shipped_root() / "accuracies" / "space=nb201").glob("*.parquet")))
    frame = shipped.to_pandas()
    c10 = frame[(frame.dataset == "cifar10") & (frame.split == "ori-test")].sort_values("arch_id")
    ids = c10.arch_id.to_numpy()
    score = np.floor(c10.accuracy.to_numpy())
    score[ids % 97 == 0] = -np.inf
    score[ids % 101 == 0] = np.nan
    write(tmp_path, "scores", score_part("nb201", ids, score, batch_size=128,
                                         times=0.25 + ids * 1e-6), "nb201")
    result = simulate_search(tmp_path, space="nb201", n=(10, 100, 1000), runs=500, seed=0,
                             replicate=(0, 0))
    table = result.table()
    labels = ["C10 valid", "C10 test", "C100 valid", "C100 test", "IN16 valid", "IN16 test"]
    assert [t.label for t in result.targets] == labels
    assert table.shape == (8, 6 + 2 * len(labels))
    columns = {"C10 valid": ("cifar10-valid", "x-valid"), "C10 test": ("cifar10", "ori-test"),
               "C100 valid": ("cifar100", "x-valid"), "C100 test": ("cifar100", "x-test"),
               "IN16 valid": ("ImageNet16-120", "x-valid"), "IN16 test": ("ImageNet16-120", "x-test")}
    accuracy = np.stack([frame[(frame.dataset == d) & (frame.split == s)].sort_values("arch_id")
                         .accuracy.to_numpy() for d, s in columns.values()], axis=1)
    ranked = np.where(np.isfinite(score), score, -np.inf)
    for n in (10, 100, 1000):
        draws = result.draws[n].arch_ids            # arch id == row for NB201
        pick = draws[np.arange(500), np.argmax(ranked[draws], axis=1)]
        row = _row(table, "naswot", n)
        assert row["runs_all_nonfinite"] == 0
        for i, label in enumerate(labels):
            assert row[f"{label} mean"] == pytest.approx(accuracy[pick, i].mean(), abs=1e-9)
            assert row[f"{label} std"] == pytest.approx(accuracy[pick, i].std(), abs=1e-9)
            best = _row(table, "best_of_n", n)
            assert best[f"{label} mean"] == pytest.approx(accuracy[draws, i].max(1).mean(), abs=1e-9)
        times = (0.25 + draws * 1e-6).sum(axis=1)
        assert row["time_mean_s"] == pytest.approx(times.mean())
    optimal = _row(table, "optimal")
    assert [optimal[f"{label} mean"] for label in labels] == pytest.approx(accuracy.max(axis=0))
    # a monotone score of C10 test accuracy must come close to the best of N on that column
    assert _row(table, "naswot", 100)["C10 test mean"] > _row(table, "random_arch")["C10 test mean"] + 4


def test_errors_are_one_clear_line(root, tmp_path):
    with pytest.raises(QueryError, match="larger than the 39 archs"):
        simulate_search(root, space=SPACE, n=(40,), replace=False)
    with pytest.raises(QueryError, match="stored replicates: 0,0 0,1 1,0"):
        simulate_search(root, space=SPACE, replicate=(5, 5))
    with pytest.raises(UnknownNameError, match="unknown space 'nope'"):
        simulate_search(root, space="nope")
    with pytest.raises(QueryError, match="--space nats-sss --dataset cifar100"):
        simulate_search(root, space=SPACE, dataset="cifar100")
    with pytest.raises(QueryError, match="no accuracies for target 'cifar10:x-test'"):
        simulate_search(root, space=SPACE, targets=["cifar10:x-test"])
    other = tmp_path / "two-configs"
    write(other, "scores", score_part("nats-sss", [0, 1], [1.0, 2.0], config_id="a"), "nats-sss")
    write(other, "scores", score_part("nats-sss", [0, 1], [1.0, 2.0], config_id="b"), "nats-sss")
    with pytest.raises(QueryError, match="several score configurations; choose one: "
                                         "--config-id a --batch-size 16"):
        simulate_search(other, space="nats-sss")


def test_cli_search_formats_and_errors(root):
    runner = CliRunner()
    base = ["search", "--root", str(root), "--space", SPACE, "--n", "2,5", "--runs", "50",
            "--replicate", "0,0", "--seed", "4"]
    as_json = runner.invoke(main, base + ["--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    records = json.loads(as_json.output)
    expected = simulate_search(root, space=SPACE, n=(2, 5), runs=50, replicate=(0, 0), seed=4)
    assert [r["method"] for r in records] == ["naswot", "best_of_n"] * 2 + ["random_arch", "optimal"]
    assert records[0]["cifar10/ori-test@200 mean"] == pytest.approx(
        expected.table().iloc[0]["cifar10/ori-test@200 mean"])
    shown = runner.invoke(main, base + ["--format", "markdown"])
    assert shown.exit_code == 0
    assert "| NASWOT | 2 |" in shown.output and "50 runs, sampling with replacement" in shown.output
    failed = runner.invoke(main, base + ["--n", "400", "--no-replace"])
    assert failed.exit_code == 1
    assert failed.output.strip().splitlines() == [
        "Error: N = 400 is larger than the 39 archs in the pool; sampling without replacement "
        "needs N <= 39 (or use --replace)"]


def test_search_with_scores_of_one_dataset_and_accuracies_of_another(tmp_path):
    """ImageNet16-120 scores pick the arch; its CIFAR-100 accuracy is what is reported."""
    ids = np.arange(6)
    score_in16 = np.array([5.0, 1.0, 9.0, 3.0, 7.0, 2.0])
    acc_c100 = np.array([60.0, 61.0, 70.0, 62.0, 64.0, 66.0])
    write(tmp_path, "scores", score_part("nb201", ids, score_in16, dataset="ImageNet16-120"),
          "nb201")
    write(tmp_path, "accuracies", accuracy_part("nb201", ids, acc_c100, dataset="cifar100",
                                                split="x-test"), "nb201")
    result = simulate_search(tmp_path, space="nb201", dataset="ImageNet16-120", n=(3,), runs=50,
                             seed=1, targets=["cifar100:x-test"])
    draws = result.draws[3].arch_ids
    expected = acc_c100[draws[np.arange(50), np.argmax(score_in16[draws], axis=1)]]
    row = _row(result.table(), "naswot", 3)
    label = result.targets[0].label
    assert row[f"{label} mean"] == pytest.approx(expected.mean(), abs=1e-9)


def test_draws_without_replacement_follow_the_documented_stream(root):
    result = simulate_search(root, space=SPACE, n=(3,), runs=7, seed=5, replicate=(0, 0),
                             replace=False)
    pool = np.array(sorted(_pool((0, 0))))
    rng = np.random.default_rng(5)
    expected = np.stack([rng.choice(pool.size, 3, replace=False) for _ in range(7)])
    assert np.array_equal(result.draws[3].arch_ids, pool[expected])
    assert all(len(set(row)) == 3 for row in result.draws[3].arch_ids.tolist())


def test_one_stored_replicate_keeps_the_random_stream_and_numpys_exact_statistics(tmp_path):
    """With one replicate per arch the replicate draw cannot choose, so a search skips making
    those doubles: the next N's draws must still be where the documented stream puts them, and
    every statistic must be NumPy's mean and std of the same runs, to the last bit."""
    ids = np.arange(3_000)
    rng = np.random.default_rng(8)
    scores = rng.normal(size=ids.size)
    scores[ids % 13 == 0] = np.nan
    accuracy = rng.uniform(50, 95, ids.size)
    write(tmp_path, "scores", score_part("nats-sss", ids, scores, times=rng.uniform(0.1, 1, ids.size)),
          "nats-sss")
    write(tmp_path, "accuracies", accuracy_part("nats-sss", ids, accuracy, dataset="cifar10",
                                                split="ori-test"), "nats-sss")
    n_values, runs = (70, 3, 90), 500                # 35,000 and 45,000 draws: doubles skipped
    result = simulate_search(tmp_path, space="nats-sss", n=n_values, runs=runs, seed=2,
                             replicate="random", targets=["cifar10:ori-test"])
    stream = np.random.default_rng(2)
    table, firsts = result.table(), []
    for n in n_values:
        draws = stream.integers(0, ids.size, (runs, n))
        stream.random((runs, n))                     # the replicate draw, all to column 0
        assert np.array_equal(result.draws[n].arch_ids, draws)
        assert np.array_equal(result.draws[n].replicates, np.zeros((runs, n)))
        ranked = np.where(np.isfinite(scores[draws]), scores[draws], -np.inf)
        valid = np.isfinite(ranked.max(axis=1))    # a run of only NaN picks nothing
        picked = accuracy[draws[np.arange(runs), ranked.argmax(axis=1)]][valid]
        for method, values in (("naswot", picked), ("best_of_n", accuracy[draws].max(axis=1))):
            row = _row(table, method, n)
            assert row["cifar10/ori-test mean"] == values.mean()
            assert row["cifar10/ori-test std"] == values.std()
        firsts.append(accuracy[draws[:, 0]])
    pooled = np.concatenate(firsts)
    assert _row(table, "random_arch")["cifar10/ori-test mean"] == pooled.mean()
    assert _row(table, "random_arch")["cifar10/ori-test std"] == pooled.std()
