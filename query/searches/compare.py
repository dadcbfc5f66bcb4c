"""Every search method on one space, in one table: the paper's Table 2 from stored data.

``naswot`` contributes a row per N (with its baselines: best of N by ground truth, a random
arch, the best arch of the space); ``random``, ``rea`` and ``area`` one row each.  Each method
keeps its own documented random stream (:mod:`naswot_db.query.search` for ``naswot``,
:mod:`.streams` for the others), so a row does not depend on which other methods ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from naswot_db.core.names import canonical_space
from naswot_db.core.scores import DEFAULT_SCORE

from ..errors import QueryError
from ..search import RANDOM_REPLICATE, Replicate, SearchResult, simulate_search
from ..selection import open_source
from ..targets import Target
from .mutations import mutation_for
from .result import BUDGETED_METHODS, METHODS, BudgetSearchResult
from .simulate import DEFAULT_RUNS, BudgetOptions, load_score_lookup, load_tables, run_budget_search

NASWOT_RUNS = 500
_BASELINES = ("random_arch", "optimal")  # naswot rows that go to the end of the table


@dataclass
class SearchComparison:
    """The results of several methods on one space; :meth:`table` is one row per method/N."""

    space: str
    targets: list[Target]
    naswot: SearchResult | None = None
    budgeted: list[BudgetSearchResult] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """Rows: naswot and best_of_n per N, then random, rea, area as asked, then the random
        arch and the optimal arch; columns as :meth:`SearchResult.table` plus
        ``runs_without_answer`` and ``evaluations_mean`` (archs trained) of the budgeted ones."""
        naswot_rows = self.naswot.rows if self.naswot is not None else []
        rows = ([r for r in naswot_rows if r["method"] not in _BASELINES]
                + [result.row() for result in self.budgeted]
                + [r for r in naswot_rows if r["method"] in _BASELINES])
        frame = pd.DataFrame(rows)
        integer_columns = [c for c in ("n", "runs_all_nonfinite", "runs_without_answer")
                           if c in frame.columns]
        return frame.astype({c: "Int64" for c in integer_columns})


def parse_methods(text: str | Sequence[str]) -> list[str]:
    """``"rea,area"`` or a list -> methods in the order given; ``all`` -> every method."""
    names = [m.strip().lower() for m in (text.split(",") if isinstance(text, str) else text)]
    names = list(METHODS) if names == ["all"] else [m for m in names if m]
    unknown = [m for m in names if m not in METHODS]
    if unknown or not names:
        raise QueryError(f"unknown search method {', '.join(unknown) or text!r}; choose from "
                         f"{', '.join(METHODS)} or all (comma-separated)")
    return list(dict.fromkeys(names))


def compare_searches(root: Path | str | None = None, *, methods: Sequence[str] = METHODS,
                     space: str = "nb201", dataset: str = "cifar10",
                     score: str = DEFAULT_SCORE, n: Sequence[int] = (10, 100, 1000),
                     runs: int | None = None, replace: bool = True,
                     replicate: Replicate = RANDOM_REPLICATE,
                     options: BudgetOptions = BudgetOptions(), fitness: str | None = None,
                     targets: Sequence[str] | None = None, epochs: int | None = None,
                     label: str = "mean", config_id: str | None = None,
                     batch_size: int | None = None, as_reference: bool = False,
                     connection: duckdb.DuckDBPyConnection | None = None) -> SearchComparison:
    """Run each of ``methods`` (``naswot``, ``random``, ``rea``, ``area``) on ``space``.

    ``runs`` None: each method's paper default (500; AREA 50).  ``options`` hold the budget,
    P, S, M and the seed shared by every method; the score options choose the stored scores of
    ``naswot`` and ``area``.  See :func:`naswot_db.query.simulate_search` and
    :func:`.simulate_budget_search`.
    """
    methods = parse_methods(methods)
    space = canonical_space(space)
    options.check()
    with open_source(root, connection) as source:
        comparison = SearchComparison(space, [])
        if "naswot" in methods:
            comparison.naswot = simulate_search(
                source.root, space=space, dataset=dataset, n=n, runs=runs or NASWOT_RUNS,
                replace=replace, seed=options.seed, replicate=replicate, targets=targets,
                epochs=epochs, config_id=config_id, batch_size=batch_size,
                as_reference=as_reference, label=label, score=score,
                connection=source.connection)
            comparison.targets = comparison.naswot.targets
        budgeted = [m for m in methods if m in BUDGETED_METHODS]
        if budgeted:
            tables = load_tables(source, space, fitness, targets, epochs, label)
            comparison.targets = tables.targets
            scores = (load_score_lookup(source, tables, dataset, replicate, config_id,
                                        batch_size, as_reference, score)
                      if "area" in budgeted else None)
            mutation = mutation_for(tables) if budgeted != ["random"] else None
            for method in budgeted:
                comparison.budgeted.append(run_budget_search(
                    tables, method, runs or DEFAULT_RUNS[method], options, scores, replicate,
                    mutation))
    return comparison
