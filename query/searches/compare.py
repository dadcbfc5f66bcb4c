"""Every search method on one space, in one table: the paper's Table 2 from stored data.

``best-of-n`` (alias ``naswot``) contributes a row per N (with its baselines: best of N by
ground truth, a random arch, the best arch of the space); each budgeted method (``random``,
``rea``, ``area``, installed ones) one row.  Each method keeps its own documented random
stream (:mod:`.best_of_n` for best-of-N, :mod:`.streams` for the others), so a row does not
depend on which other methods ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from naswot_db.core.names import canonical_space
from naswot_db.core.scores import DEFAULT_SCORE

from .best_of_n import RANDOM_REPLICATE, Replicate, SearchResult, simulate_search
from ..selection import open_source
from ..targets import Target
from .methods import parse_methods, search_method
from .mutations import mutation_for
from .result import BudgetSearchResult
from .options import BudgetOptions
from .simulate import load_score_lookup, load_tables, run_budget_search

_BASELINES = ("random_arch", "optimal")  # best-of-N rows that go to the end of the table


@dataclass
class SearchComparison:
    """The results of several methods on one space; :meth:`table` is one row per method/N."""

    space: str
    targets: list[Target]
    best_of_n: SearchResult | None = None  # the best-of-N search, when asked
    budgeted: list[BudgetSearchResult] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """Rows: best-of-N and best_of_n per N, then the budgeted methods as asked, then the
        random arch and the optimal arch; columns as :meth:`SearchResult.table` plus
        ``runs_without_answer`` and ``evaluations_mean`` (archs trained) of the budgeted ones."""
        sampled_rows = self.best_of_n.rows if self.best_of_n is not None else []
        rows = ([r for r in sampled_rows if r["method"] not in _BASELINES]
                + [result.row() for result in self.budgeted]
                + [r for r in sampled_rows if r["method"] in _BASELINES])
        frame = pd.DataFrame(rows)
        integer_columns = [c for c in ("n", "runs_all_nonfinite", "runs_without_answer")
                           if c in frame.columns]
        return frame.astype({c: "Int64" for c in integer_columns})


def compare_searches(root: Path | str | None = None, *, methods: Sequence[str] = ("all",),
                     space: str = "nb201", dataset: str = "cifar10",
                     score: str = DEFAULT_SCORE, n: Sequence[int] = (10, 100, 1000),
                     runs: int | None = None, replace: bool = True,
                     replicate: Replicate = RANDOM_REPLICATE,
                     options: BudgetOptions = BudgetOptions(), fitness: str | None = None,
                     targets: Sequence[str] | None = None, epochs: int | None = None,
                     label: str = "mean", config_id: str | None = None,
                     batch_size: int | None = None, as_reference: bool = False,
                     connection: duckdb.DuckDBPyConnection | None = None) -> SearchComparison:
    """Run each of ``methods`` (``best-of-n``, ``random``, ``rea``, ``area``, installed ones, or
    ``all``) on ``space``.

    ``runs`` None: each method's default (the paper's: 500; AREA 50).  ``options`` hold the
    budget, P, S, M and the seed shared by every method; the score options choose the stored
    scores of best-of-N and of the methods that use scores (AREA).  See
    :func:`naswot_db.query.simulate_search` and
    :func:`.simulate_budget_search`.
    """
    methods = parse_methods(methods)
    space = canonical_space(space)
    options.check()
    with open_source(root, connection) as source:
        comparison = SearchComparison(space, [])
        # the one method that is not budgeted, best-of-N, under the name it was asked by
        sampled = next((m for m in methods if not search_method(m).budgeted), None)
        if sampled is not None:
            comparison.best_of_n = simulate_search(
                source.root, space=space, dataset=dataset, n=n,
                runs=runs or search_method(sampled).default_runs, replace=replace,
                seed=options.seed, replicate=replicate, targets=targets, epochs=epochs,
                config_id=config_id, batch_size=batch_size, as_reference=as_reference,
                label=label, score=score, connection=source.connection, method=sampled)
            comparison.targets = comparison.best_of_n.targets
        budgeted = [m for m in methods if search_method(m).budgeted]
        if budgeted:
            tables = load_tables(source, space, fitness, targets, epochs, label)
            comparison.targets = tables.targets
            described = [search_method(m) for m in budgeted]
            scores = (load_score_lookup(source, tables, dataset, replicate, config_id,
                                        batch_size, as_reference, score)
                      if any(m.uses_scores for m in described) else None)
            mutation = (mutation_for(tables) if any(m.uses_population for m in described)
                        else None)
            for method, description in zip(budgeted, described):
                comparison.budgeted.append(run_budget_search(
                    tables, method, runs or description.default_runs, options, scores,
                    replicate, mutation))
    return comparison
