"""Correlation studies: how well the stored score ranks archs by their ground-truth accuracy.

One row per (space, score dataset, configuration, replicate, accuracy target) with Kendall's
tau-b, Spearman's rho, Pearson's r and top-k% overlaps, whether the scores are ``shipped`` with
naswot-db, ``built`` into the root or published values ingested from a ``peer`` file
(``origin``), and the row accounting: a scored
arch is excluded when its score is NaN (counted first), else when it is -inf, else when it has
no finite accuracy for the target.  ``replicate="mean"`` first averages each arch's score over
its stored replicates (NaN if any is NaN, -inf if any is -inf).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from naswot_db.core.names import canonical_space, ground_truth_space_sql, is_peer_config
from naswot_db.core.scores import DEFAULT_SCORE, higher_is_better, query_score
from naswot_db.schema import SCORES

from . import stats
from .az_nas import score_relation
from .errors import QueryError
from .selection import Source, open_source, require_any_scores, require_scores
from .shipped import PEER, RowOrigin, origins_by
from .targets import LABELS_VIEW, Target, resolve_targets

EACH_REPLICATE = "each"
MEAN_REPLICATE = "mean"
GROUP_COLUMNS = ["space", "dataset", "config_id", "batch_size", "init_seed", "batch_seed",
                 "target", "acc_dataset", "acc_split", "acc_epochs"]
# one score configuration: its rows are counted as shipped or own (columns shipped_rows, own_rows)
_ORIGIN_KEY = ("space", "dataset", "config_id", "batch_size", "score")
# groups in the order a reader expects: targets as resolved, not alphabetically
_ORDER_COLUMNS = [f"s.{name}" for name in GROUP_COLUMNS[:6]] + ["t.target_order"]


def _scores_sql(replicate: str, score: str) -> str:
    """The score rows a study reads, one per arch and group (``?``: as_reference, score, dataset
    filter twice); ``az_nas`` from its macro."""
    value = ("CASE WHEN ? AND reference_raises THEN 'NaN'::DOUBLE "
             "ELSE coalesce(value, 'NaN'::DOUBLE) END")
    where = "score = ? AND (? IS NULL OR dataset = ?)"
    if replicate == EACH_REPLICATE:
        return (f"SELECT space, dataset, config_id, batch_size, init_seed, batch_seed, arch_id, "
                f"{value} AS value, 1 AS replicates FROM {score_relation(score)} WHERE {where}")
    return (f"SELECT space, dataset, config_id, batch_size, NULL::BIGINT AS init_seed, "
            f"NULL::BIGINT AS batch_seed, arch_id, avg({value}) AS value, "
            f"count(*) AS replicates FROM {score_relation(score)} WHERE {where} GROUP BY ALL")


def _targets_sql(targets: dict[str, list[Target]]) -> tuple[str, list]:
    rows, params = [], []
    for space, chosen in targets.items():
        for order, target in enumerate(chosen):
            rows.append("(?, ?, ?, ?, ?, ?)")
            params += [space, order, target.label, target.dataset, target.split, target.epochs]
    return (f"(VALUES {', '.join(rows)}) AS t(space, target_order, target, acc_dataset, "
            f"acc_split, acc_epochs)"), params


def paired_rows(source: Source, targets: dict[str, list[Target]], dataset: str | None = None,
                replicate: str = EACH_REPLICATE, as_reference: bool = False,
                score: str = DEFAULT_SCORE) -> pa.Table:
    """Every (score, label) pair of the study, sorted by group (targets in the order given)
    then arch id, with ``group`` numbering the groups; NaN label where the arch has none."""
    if replicate not in (EACH_REPLICATE, MEAN_REPLICATE):
        raise QueryError(f"replicate must be {EACH_REPLICATE!r} or {MEAN_REPLICATE!r}, "
                         f"not {replicate!r}")
    target_table, target_params = _targets_sql(targets)
    order = ", ".join(_ORDER_COLUMNS)
    sql = (f"WITH s AS ({_scores_sql(replicate, score)}) "
           f"SELECT s.*, t.target, t.acc_dataset, t.acc_split, t.acc_epochs, "
           f"coalesce(g.accuracy, 'NaN'::DOUBLE) AS accuracy, "
           f"dense_rank() OVER (ORDER BY {order}) AS \"group\" "
           f"FROM s JOIN {target_table} USING (space) "
           f"LEFT JOIN {LABELS_VIEW} AS g ON g.space = {ground_truth_space_sql('s.space')} "
           f"AND g.arch_id = s.arch_id "
           f"AND g.dataset = t.acc_dataset AND g.split = t.acc_split "
           f"AND g.epochs = t.acc_epochs "
           f"ORDER BY \"group\", s.arch_id")
    params = [as_reference, score, dataset, dataset] + target_params
    return source.connection.sql(sql, params=params).to_arrow_table()


def _group_statistics(ids: np.ndarray, values: np.ndarray, labels: np.ndarray,
                      top_k: Sequence[float], sign: float = 1.0) -> dict:
    """The row accounting of the stored values, and every statistic of ``sign * value``."""
    nan = np.isnan(values)
    neg_inf = ~nan & ~np.isfinite(values)
    unlabelled = np.isfinite(values) & ~np.isfinite(labels)
    keep = stats.usable(values, labels)
    x, y = sign * values[keep], labels[keep]
    row = {"rows": len(values), "used": int(keep.sum()), "excluded_nan": int(nan.sum()),
           "excluded_neg_inf": int(neg_inf.sum()), "excluded_missing_label": int(unlabelled.sum()),
           "kendall_tau": stats.kendall_tau_b(x, y), "spearman": stats.spearman(x, y),
           "pearson": stats.pearson(x, y)}
    overlaps = stats.top_k_overlaps(ids[keep], x, y, top_k)
    row.update({f"top{percent:g}%_overlap": overlap for percent, overlap in zip(top_k, overlaps)})
    return row


def _study_targets(source: Source, space: str | None, dataset: str | None,
                   targets: Sequence[str] | None, epochs: int | None,
                   label: str, score: str) -> dict[str, list[Target]]:
    if space is not None:
        require_scores(source, space, dataset, score)
        spaces = [space]
    else:
        require_any_scores(source)
        spaces = [row[0] for row in source.connection.execute(
            f"SELECT DISTINCT space FROM {score_relation(score)} WHERE score = ? "
            "AND (? IS NULL OR dataset = ?) ORDER BY space", [score, dataset, dataset]).fetchall()]
        if not spaces:
            raise QueryError(f"no scores on dataset {dataset!r} under {source.root}")
    return {name: resolve_targets(source.connection, name, targets, epochs, label)
            for name in spaces}


def correlations(root: Path | str | None = None, *, space: str | None = None,
                 dataset: str | None = None, targets: Sequence[str] | None = None,
                 epochs: int | None = None, replicate: str = EACH_REPLICATE,
                 top_k: Sequence[float] = (1, 5, 10), as_reference: bool = False,
                 label: str = "mean", score: str = DEFAULT_SCORE,
                 connection: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Correlation of score and accuracy per space, dataset, configuration, replicate, target.

    ``space``/``dataset`` None: every one stored.  ``targets``: as in :func:`simulate_search`
    (per space).  ``replicate``: ``"each"`` (one row per (init_seed, batch_seed)) or
    ``"mean"``.  ``as_reference``: networks the reference raises on count as NaN, as in its
    score_networks.py.  ``label``: ``"mean"`` over training seeds or ``"max"`` (NASWOT's NB101
    ground truth).  ``score``: which stored score (``naswot``, ``jacov``); a score whose lower
    values are better (its descriptor's ``higher_is_better``) enters every statistic as -value,
    so a positive tau always means it ranks accurate networks first.  ``origin``: ``shipped``,
    ``built``, ``shipped+own`` (the root's rows added to the shipped ones; ``shipped_rows`` and
    ``own_rows`` count the configuration's rows of each), or ``peer`` for published values
    ingested with ``ingest --format naslib-zc``.
    """
    space = None if space is None else canonical_space(space)
    score = query_score(score)
    sign = 1.0 if higher_is_better(score) else -1.0
    with open_source(root, connection) as source:
        study_targets = _study_targets(source, space, dataset, targets, epochs, label, score)
        pairs = paired_rows(source, study_targets, dataset, replicate, as_reference, score)
        origins = origins_by(source.connection, SCORES, _ORIGIN_KEY, "WHERE score = ?", [score])
    columns = {name: pairs.column(name).to_numpy()
               for name in ("group", "arch_id", "value", "accuracy", "replicates")}
    starts = np.flatnonzero(np.diff(columns["group"], prepend=-1))
    keys = pairs.select(GROUP_COLUMNS).take(starts).to_pylist()
    rows = []
    for key, start, stop in zip(keys, starts, [*starts[1:], pairs.num_rows]):
        part = slice(start, stop)
        # az_nas has no stored rows: its rows are computed here, from the views' rows
        rows_origin = origins.get((*(key[c] for c in _ORIGIN_KEY[:-1]), score),
                                  RowOrigin(0, stop - start))
        origin = PEER if is_peer_config(key["config_id"]) else rows_origin.kind()
        rows.append({**key, "score": score, "origin": origin,
                     "shipped_rows": rows_origin.shipped, "own_rows": rows_origin.own,
                     "replicates": int(columns["replicates"][part].max()),
                     **_group_statistics(columns["arch_id"][part], columns["value"][part],
                                         columns["accuracy"][part], top_k, sign)})
    return pd.DataFrame(rows).astype({"init_seed": "Int64", "batch_seed": "Int64"})
