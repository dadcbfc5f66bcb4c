"""Seed robustness: how much a score's ranking moves with the init seed and the batch.

No benchmark publishes this: the Suite-Zero tables hold one replicate per arch.  For every
stored score configuration of a space, the replicates (init seed x batch seed) are compared in
pairs over the archs that every replicate scored with a finite value:

- ``init``: pairs that share the batch seed and differ in the init seed;
- ``batch``: pairs that share the init seed and differ in the batch seed;
- ``both``: pairs that differ in both;

each as the mean Kendall tau-b and Spearman rho over its pairs (NaN without such pairs: a
data-free score built with one batch seed has no ``batch`` pairs).  Then each replicate's own
Spearman with the accuracy target, and the spread of those (min, mean, max, sample std); a
score whose lower values are better (``tenas_ntk``) is negated first, so a positive Spearman
always means the score ranks better networks higher.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from naswot_db.core.names import canonical_space, ground_truth_space
from naswot_db.core.scores import canonical_score, higher_is_better

from . import stats
from .errors import QueryError
from .targets import LABELS_VIEW, resolve_targets

PAIR_KINDS = ("init", "batch", "both")


def _pair_kind(a: tuple[int, int], b: tuple[int, int]) -> str | None:
    same_init, same_batch = a[0] == b[0], a[1] == b[1]
    if same_init and same_batch:
        return None
    return "batch" if same_init else "init" if same_batch else "both"


def replicate_agreement(values: np.ndarray, replicates: list[tuple[int, int]]) -> dict:
    """Mean Kendall/Spearman per pair kind over the columns of ``values`` (archs x replicates)."""
    pairs: dict[str, list[tuple[float, float]]] = {kind: [] for kind in PAIR_KINDS}
    for i, j in itertools.combinations(range(len(replicates)), 2):
        kind = _pair_kind(replicates[i], replicates[j])
        if kind is not None:
            x, y = values[:, i], values[:, j]
            pairs[kind].append((stats.kendall_tau_b(x, y), stats.spearman(x, y)))
    row = {}
    for kind, found in pairs.items():
        taus, rhos = (np.array([p[k] for p in found]) for k in (0, 1))
        row[f"{kind}_pairs"] = len(found)
        row[f"{kind}_kendall"] = float(taus.mean()) if found else float("nan")
        row[f"{kind}_spearman"] = float(rhos.mean()) if found else float("nan")
    return row


def accuracy_spread(values: np.ndarray, accuracy: np.ndarray) -> dict:
    """Each replicate's Spearman with ``accuracy`` (labelled archs only): min, mean, max, std."""
    labelled = np.isfinite(accuracy)
    rhos = np.array([stats.spearman(values[labelled, k], accuracy[labelled])
                     for k in range(values.shape[1])])
    return {"acc_spearman_min": float(rhos.min()), "acc_spearman_mean": float(rhos.mean()),
            "acc_spearman_max": float(rhos.max()),
            "acc_spearman_std": float(rhos.std(ddof=1)) if len(rhos) > 1 else float("nan")}


def _group_row(frame: pd.DataFrame, labels: dict[int, float], sign: float) -> dict:
    wide = frame.pivot_table(index="arch_id", columns=["init_seed", "batch_seed"],
                             values="value", aggfunc="first")
    complete = wide[np.isfinite(wide.to_numpy()).all(axis=1)]
    replicates = [(int(i), int(b)) for i, b in complete.columns]
    values = complete.to_numpy(dtype=np.float64)
    accuracy = np.array([labels.get(int(a), np.nan) for a in complete.index])
    row = {"archs": len(complete), "dropped_archs": len(wide) - len(complete),
           "init_seeds": len({r[0] for r in replicates}),
           "batch_seeds": len({r[1] for r in replicates})}
    if len(complete) < 3:
        return row
    return (row | replicate_agreement(values, replicates)
            | accuracy_spread(sign * values, accuracy))


def stability(root: Path | str | None = None, *, space: str, scores: Sequence[str] | None = None,
              dataset: str | None = None, target: str | None = None, label: str = "mean",
              connection: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """One row per stored (score, dataset, batch size, config) of ``space``: replicate
    agreement by pair kind and the spread of the replicates' Spearman with ``target``
    (``DATASET:SPLIT[@EPOCHS]``; default: the space's first default target)."""
    from .selection import open_source

    space = canonical_space(space)
    names = None if scores is None else [canonical_score(name) for name in scores]
    with open_source(root, connection) as source:
        con = source.connection
        [chosen, *_] = resolve_targets(con, space, [target] if target else None, None, label)
        rows = con.execute(
            "SELECT score, dataset, batch_size, config_id, init_seed, batch_seed, arch_id, "
            "coalesce(value, 'NaN'::DOUBLE) AS value FROM scores WHERE space = ? "
            "AND (? IS NULL OR dataset = ?)", [space, dataset, dataset]).df()
        labels = dict(con.execute(
            f"SELECT arch_id, accuracy FROM {LABELS_VIEW} WHERE space = ? AND dataset = ? "
            "AND split = ? AND epochs = ?",
            [ground_truth_space(space), chosen.dataset, chosen.split, chosen.epochs]).fetchall())
    if names is not None:
        absent = [name for name in names if name not in set(rows["score"])]
        if absent:
            raise QueryError(f"no {', '.join(absent)} scores of space {space} under "
                             f"{source.root}")
        rows = rows[rows["score"].isin(names)]
    if rows.empty:
        raise QueryError(f"no scores of space {space} under {source.root}")
    out = []
    keys = ["score", "dataset", "batch_size", "config_id"]
    for key, frame in rows.groupby(keys, sort=True):
        sign = 1.0 if higher_is_better(key[0]) else -1.0
        out.append(dict(zip(keys, key)) | {"target": chosen.label, "better": "higher" if sign > 0
                                           else "lower"} | _group_row(frame, labels, sign))
    return pd.DataFrame(out)
