"""Loading a search's score rows: one pass over the parts, dense per-arch arrays, and the same
rows as the deduplicated scores view even when a key lies on disk twice."""

from __future__ import annotations

import numpy as np
import pytest
from naswot_db.testing.query_tables import accuracy_part, score_part, write

from naswot_db.query import QueryError, simulate_search
from naswot_db.query.score_grid import dense_codes
from naswot_db.query.searches.best_of_n import load_search_tables, search_tables
from naswot_db.query.selection import choose_config, open_source
from naswot_db.query.targets import resolve_targets

SPACE = "nb201"  # a registered space; the root's own rows replace the shipped ones
ARCHS = np.arange(40)


@pytest.mark.parametrize("keys", [
    np.array([5, 3, 3, 0, 9, 5]),                   # dense: counted, not sorted
    np.array([10**12, 7, 10**12, 3]),               # sparse: np.unique
    np.array([], dtype=np.int64),
])
def test_dense_codes_equal_numpy_unique(keys):
    uniques, codes = dense_codes(keys)
    expected_uniques, expected_codes = np.unique(keys, return_inverse=True)
    assert np.array_equal(uniques, expected_uniques)
    assert np.array_equal(codes, expected_codes)


def _root(tmp_path, duplicate_values=None):
    rng = np.random.default_rng(3)
    values = {}
    for init_seed, batch_seed in ((0, 0), (0, 1), (2, 0)):
        values[init_seed, batch_seed] = rng.normal(100, 10, ARCHS.size)
        part = score_part(SPACE, ARCHS[::-1], values[init_seed, batch_seed][::-1],
                          init_seed=init_seed, batch_seed=batch_seed)
        write(tmp_path, "scores", part, SPACE)
    if duplicate_values is not None:  # the (0, 0) rows again, from a later run
        again = score_part(SPACE, ARCHS, duplicate_values).set_column(
            13, "run_id", [["run-later"] * ARCHS.size])
        write(tmp_path, "scores", again, SPACE)
    write(tmp_path, "accuracies", accuracy_part(SPACE, ARCHS, ARCHS * 1.0, dataset="cifar10",
                                                split="ori-test"), SPACE)
    return values


def _tables(root, space=SPACE, score="naswot"):
    with open_source(root) as source:
        config = choose_config(source, space, "cifar10", score=score)
        targets = resolve_targets(source.connection, space, ["cifar10:ori-test"])
        return load_search_tables(source, space, "cifar10", targets, config)


@pytest.mark.parametrize("duplicated", [False, True])
def test_per_arch_arrays_hold_each_replicate(tmp_path, duplicated):
    values = _root(tmp_path, np.zeros(ARCHS.size) if duplicated else None)
    tables = _tables(tmp_path)
    assert np.array_equal(tables.arch_ids, ARCHS)
    assert tables.replicates == [(0, 0), (0, 1), (2, 0)]
    for column, pair in enumerate(tables.replicates):
        # the earliest run's rows, never the later duplicate's zeros
        assert np.array_equal(tables.values[:, column], values[pair])
    assert tables.present.all()
    assert np.array_equal(tables.accuracies[:, 0], ARCHS * 1.0)


def test_search_reads_the_earliest_run_of_a_duplicated_key(tmp_path):
    values = _root(tmp_path, np.full(ARCHS.size, 1e9))  # the later run would win every draw
    result = simulate_search(tmp_path, space=SPACE, targets=["cifar10:ori-test"], n=[40],
                             runs=3, replicate=(0, 0), replace=False)
    best = int(ARCHS[np.argmax(values[0, 0])])
    assert set(result.draws[40].chosen) == {best}


def test_several_configurations_ask_to_choose_in_one_pass(tmp_path):
    _root(tmp_path)
    write(tmp_path, "scores", score_part(SPACE, ARCHS, ARCHS * 1.0, config_id="other"), SPACE)
    with pytest.raises(QueryError, match="several score configurations; choose one: "
                                         "--config-id cfg .*--config-id other"):
        simulate_search(tmp_path, space=SPACE, targets=["cifar10:ori-test"], n=[5], runs=2)
    chosen = simulate_search(tmp_path, space=SPACE, targets=["cifar10:ori-test"], n=[40],
                             runs=2, config_id="other", replicate=(0, 0), replace=False)
    assert chosen.config.config_id == "other" and set(chosen.draws[40].chosen) == {39}


def test_sparse_arch_ids_are_remapped(tmp_path):
    ids = np.array([423_623, 7, 300_000])  # NB101's last id: far apart for three archs
    space = "nb101"
    write(tmp_path, "scores", score_part(space, ids, [1.0, 2.0, 3.0]), space)
    write(tmp_path, "scores", score_part(space, ids[:1], [4.0], init_seed=1), space)
    write(tmp_path, "accuracies", accuracy_part(space, ids, [50.0, 60.0, 70.0],
                                                dataset="cifar10", split="ori-test"), space)
    tables = _tables(tmp_path, space)
    assert tables.arch_ids.tolist() == [7, 300_000, 423_623]
    assert tables.replicates == [(0, 0), (1, 0)]
    np.testing.assert_array_equal(tables.values, [[2.0, np.nan], [3.0, np.nan], [1.0, 4.0]])
    np.testing.assert_array_equal(tables.present, ~np.isnan(tables.values))
    assert tables.accuracies[:, 0].tolist() == [60.0, 70.0, 50.0]


@pytest.mark.parametrize("score", ["naswot", "tenas_ntk"])  # higher / lower is better
def test_searches_reusing_a_loaded_table_equal_searches_on_fresh_loads(tmp_path, score):
    """A table keeps its prepared pool per replicate policy: every later search on it, of any
    policy, draws and picks as on a table just loaded, and a lower-is-better score stays
    negated once (its picks are the smallest values drawn)."""
    rng = np.random.default_rng(5)
    values = {}
    for pair in ((0, 0), (0, 1), (2, 0)):
        archs = ARCHS if pair != (2, 0) else ARCHS[:30]  # uneven replicate counts
        values[pair] = rng.normal(100, 10, archs.size)
        part = score_part(SPACE, archs, values[pair], init_seed=pair[0], batch_seed=pair[1])
        write(tmp_path, "scores", part.set_column(2, "score", [[score] * archs.size]), SPACE)
    write(tmp_path, "accuracies", accuracy_part(SPACE, ARCHS, ARCHS * 1.0, dataset="cifar10",
                                                split="ori-test"), SPACE)
    shared = _tables(tmp_path, score=score)
    for _ in range(2):
        for policy in ("random", "mean", (0, 1), "random"):
            reused = search_tables(shared, [5, 40], 20, True, 1, policy)
            fresh = search_tables(_tables(tmp_path, score=score), [5, 40], 20, True, 1, policy)
            assert reused.rows == fresh.rows
            for n in (5, 40):
                assert np.array_equal(reused.draws[n].chosen, fresh.draws[n].chosen)
    fixed = search_tables(shared, [5], 20, True, 1, (0, 1)).draws[5]
    pick = np.argmin if score == "tenas_ntk" else np.argmax
    drawn = values[0, 1][fixed.arch_ids]
    assert np.array_equal(fixed.chosen, fixed.arch_ids[np.arange(20), pick(drawn, axis=1)])
