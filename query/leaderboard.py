"""Which proxy ranks networks best: one correlation table over many scores, sorted by Spearman.

``naswot-db corr --score all`` (or ``suite-zero``, or a comma list) runs the correlation study
of :mod:`.correlation` for every score stored and lists its rows together, best Spearman first
(NaN last).  Direction is applied per score as :func:`~.correlation.correlations` applies it: a
score whose lower values are better enters every statistic as -value, so the columns compare
like with like.  Published values ingested from a peer file are rows of their own (``origin``
``peer``, their own config_id), so ours and theirs stand side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from naswot_db.core.scores import higher_is_better, query_score

from .az_nas import AZ_NAS, has_az_nas_rows
from .correlation import EACH_REPLICATE, MEAN_REPLICATE, correlations
from .errors import QueryError
from .selection import open_source, require_any_scores

HIGHER, LOWER = "higher", "lower (as -value)"


@dataclass(frozen=True)
class Leaderboard:
    """The sorted table and the requested scores the root has no rows of (left out)."""

    table: pd.DataFrame
    skipped: list[str]

    def direction_note(self) -> str:
        """One sentence saying how each score's direction entered the statistics."""
        lower = sorted({s for s, b in zip(self.table["score"], self.table["better"]) if b == LOWER})
        applied = (f"{', '.join(lower)}: lower values are better, so they enter as -value"
                   if lower else "every score here is higher-is-better (a lower-is-better one "
                                 "would enter as -value)")
        return (f"Sorted by Spearman's rho with each target; {applied}: a positive tau or rho "
                "always means the score ranks accurate networks first")


def _stored_scores(connection: duckdb.DuckDBPyConnection, space: str | None,
                   dataset: str | None, names: list[str]) -> set[str]:
    """The scores of ``names`` with rows here: stored ones, and ``az_nas`` where its macro
    has rows."""
    stored = {row[0] for row in connection.execute(
        "SELECT DISTINCT score FROM scores WHERE (? IS NULL OR space = ?) AND "
        "(? IS NULL OR dataset = ?)", [space, space, dataset, dataset]).fetchall()}
    if AZ_NAS in names and has_az_nas_rows(connection, space, dataset):
        stored.add(AZ_NAS)
    return stored


def proxy_leaderboard(root: Path | str | None = None, *, scores: Sequence[str],
                      space: str | None = None, dataset: str | None = None,
                      targets: Sequence[str] | None = None, epochs: int | None = None,
                      replicate: str = MEAN_REPLICATE, top_k: Sequence[float] = (1, 5, 10),
                      as_reference: bool = False, label: str = "mean",
                      connection: duckdb.DuckDBPyConnection | None = None) -> Leaderboard:
    """One row per score, space, dataset, configuration, (replicate,) and target: Kendall tau-b,
    Spearman, top-k% overlaps and ``n`` (pairs used), sorted by Spearman, best first.

    ``scores`` not stored under ``space``/``dataset`` are left out and listed in ``skipped``;
    none stored is an error.  The other arguments are those of
    :func:`~.correlation.correlations` (``replicate`` defaults to the mean over replicates, so
    each score has one row per target and configuration).
    """
    names = [query_score(name) for name in scores]
    with open_source(root, connection) as source:
        require_any_scores(source)
        stored = _stored_scores(source.connection, space, dataset, names)
        present = [name for name in names if name in stored]
        if not present:
            where = "".join(f" {what} {value!r}" for what, value in
                            (("in space", space), ("on dataset", dataset)) if value)
            raise QueryError(f"none of the scores {', '.join(names)} is stored{where} under "
                             f"{source.root}")
        frames = [correlations(source.root, space=space, dataset=dataset, targets=targets,
                               epochs=epochs, replicate=replicate, top_k=top_k,
                               as_reference=as_reference, label=label, score=name,
                               connection=source.connection) for name in present]
    table = pd.concat(frames, ignore_index=True)
    table["better"] = [HIGHER if higher_is_better(name) else LOWER for name in table["score"]]
    table["n"] = table["used"]
    overlaps = [c for c in table.columns if c.startswith("top") and c.endswith("_overlap")]
    seeds = ["init_seed", "batch_seed"] if replicate == EACH_REPLICATE else []
    columns = ["score", "better", "space", "dataset", "config_id", "batch_size", "origin",
               "replicates", *seeds, "target", "kendall_tau", "spearman", *overlaps, "n"]
    table = table.sort_values("spearman", ascending=False, na_position="last", kind="stable")
    return Leaderboard(table[columns].reset_index(drop=True),
                       [name for name in names if name not in stored])
