"""The per-configuration counts of `naswot-db info`, streamed from the parts, equal SQL over the
deduplicated scores view: several configurations, statuses, a key on disk twice, sparse ids."""

from __future__ import annotations

import numpy as np
import pytest
from naswot_db.testing.query_tables import score_part, write

from naswot_db.query import connect
from naswot_db.query.score_summary import score_summary

_VIEW_SQL = """
SELECT space, score, dataset, batch_size, config_id, count(DISTINCT arch_id),
       count(DISTINCT (init_seed, batch_seed)), count(*) FILTER (WHERE status = 'ok'),
       count(*) FILTER (WHERE status = 'singular'), count(*) FILTER (WHERE status = 'error')
FROM scores GROUP BY ALL ORDER BY ALL
"""


def _write_root(root, duplicate: bool) -> None:
    values = np.linspace(1, 40, 40)
    values[[3, 7]] = -np.inf
    values[11] = np.nan
    for init_seed, batch_seed in ((0, 0), (0, 1), (4, 2)):
        write(root, "scores", score_part("nb201", np.arange(40), values, init_seed=init_seed,
                                         batch_seed=batch_seed), "nb201")
    write(root, "scores", score_part("nb201", np.arange(30, 35), np.ones(5), config_id="other",
                                     batch_size=64), "nb201")
    write(root, "scores", score_part("nb101", [423_623, 5], [1.0, -np.inf]), "nb101")  # sparse ids
    if duplicate:  # the (0, 0) rows again from a later run, all errors: the earliest run counts
        again = score_part("nb201", np.arange(40), np.full(40, np.nan))
        write(root, "scores", again.set_column(13, "run_id", [["run-later"] * 40]), "nb201")


@pytest.mark.parametrize("duplicate", [False, True])
def test_counts_equal_the_deduplicated_view(tmp_path, duplicate):
    _write_root(tmp_path, duplicate)
    with connect(tmp_path) as connection:
        streamed = score_summary(connection, ["nb101", "nb201"])
        assert streamed == [tuple(row) for row in connection.sql(_VIEW_SQL).fetchall()]
    assert streamed == [
        ("nb101", "naswot", "cifar10", 16, "cfg", 2, 1, 1, 1, 0),
        ("nb201", "naswot", "cifar10", 16, "cfg", 40, 3, 111, 6, 3),
        ("nb201", "naswot", "cifar10", 64, "other", 5, 1, 5, 0, 0),
    ]


def test_the_shipped_scores_of_a_fresh_root_are_counted_as_the_view_counts_them(tmp_path):
    with connect(tmp_path / "missing") as connection:
        streamed = score_summary(connection, ["nb201"])
        assert streamed == [tuple(row) for row in connection.sql(_VIEW_SQL).fetchall()]
    assert [row[:6] for row in streamed if row[1] == "naswot"] == [
        ("nb201", "naswot", "cifar10", 128, "e546981146c498f7", 15625)]
    assert {row[5] for row in streamed} == {15625}  # every shipped score: the whole space
