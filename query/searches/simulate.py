"""The budgeted searches' entry point: load what the method needs once, then run it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from naswot_db.core.names import canonical_space
from naswot_db.core.scores import DEFAULT_SCORE

from ..errors import QueryError
from ..score_grid import RANDOM_REPLICATE, Replicate
from ..selection import Source, build_hint, choose_config, open_source
from ..targets import resolve_targets
from .area import ScoreLookup
from .best_of_n import load_search_tables
from .ground_truth import EvaluationTables, load_evaluation_tables, parse_fitness
from .methods import BudgetJob, SearchMethod, search_method
from .mutations import Mutation, mutation_for
from .options import BudgetOptions
from .result import BudgetSearchResult, SearchSettings


def budgeted_method(name: str) -> SearchMethod:
    """The descriptor of budgeted method ``name``; a method that is not budgeted is refused."""
    method = search_method(name)
    if not method.budgeted:
        raise QueryError(f"{method.name} is not a budgeted search; run it with "
                         "naswot_db.query.simulate_search")
    return method


def run_budget_search(tables: EvaluationTables, method: str, runs: int,
                      options: BudgetOptions, scores: ScoreLookup | None = None,
                      replicate: Replicate | None = None,
                      mutation: Mutation | None = None) -> BudgetSearchResult:
    """Run budgeted ``method`` on loaded tables (the part the speed benchmark times).

    ``mutation``: :func:`mutation_for` of ``tables``, built once when running many searches.
    """
    described = budgeted_method(method)
    if runs < 1:
        raise QueryError(f"runs must be at least 1, not {runs}")
    options.check()
    evolves, scored = described.uses_population, described.uses_scores
    settings = SearchSettings(method, runs, options.seed, options.budget_s,
                              options.population if evolves else None,
                              options.sample_size if evolves else None,
                              options.init_sample if scored else None,
                              tables.fitness_column.spec,
                              replicate if scored else None,
                              tables.fitness_source, tables.cost_source,
                              scores.description if scored and scores else None,
                              options.tournament_replace, options.keep_last)
    if evolves:
        mutation = mutation or mutation_for(tables)
    histories = described.run(BudgetJob(tables, runs, options, scores, mutation))
    return BudgetSearchResult.from_histories(tables, settings, histories)


def load_score_lookup(source: Source, tables: EvaluationTables, dataset: str,
                      replicate: Replicate, config_id: str | None, batch_size: int | None,
                      as_reference: bool, score: str = DEFAULT_SCORE) -> ScoreLookup:
    """AREA's stored scores for every searched arch."""
    config = choose_config(source, tables.space, dataset, config_id, batch_size, score)
    scores = load_search_tables(source, tables.space, dataset, tables.targets, config,
                                as_reference)
    return ScoreLookup.build(scores, tables, replicate,
                             build_hint(source, tables.space, dataset, score))


def simulate_budget_search(root: Path | str | None = None, *, method: str = "rea",
                           space: str = "nb201", dataset: str = "cifar10",
                           runs: int | None = None, options: BudgetOptions = BudgetOptions(),
                           fitness: str | None = None, targets: Sequence[str] | None = None,
                           epochs: int | None = None, label: str = "mean",
                           replicate: Replicate = RANDOM_REPLICATE,
                           config_id: str | None = None, batch_size: int | None = None,
                           as_reference: bool = False, score: str = DEFAULT_SCORE,
                           connection: duckdb.DuckDBPyConnection | None = None
                           ) -> BudgetSearchResult:
    """Simulate budgeted ``method`` (``random``, ``rea``, ``area`` or an installed one) on
    ``space``.

    ``runs`` defaults to the method's (the paper's: 500, AREA 50); ``fitness``:
    ``DATASET:SPLIT@EPOCHS`` (default the space's, NB201: ``cifar10-valid:x-valid@12``);
    ``targets``/``epochs``/``label`` choose the reported accuracies as for
    :func:`naswot_db.query.simulate_search`; ``score``, ``dataset``, ``replicate``,
    ``config_id``, ``batch_size`` and ``as_reference`` choose the scores of a method that
    uses them (AREA).
    """
    space, described = canonical_space(space), budgeted_method(method)
    with open_source(root, connection) as source:
        tables = load_tables(source, space, fitness, targets, epochs, label)
        scores = (load_score_lookup(source, tables, dataset, replicate, config_id, batch_size,
                                    as_reference, score) if described.uses_scores else None)
    return run_budget_search(tables, method, runs or described.default_runs, options,
                             scores, replicate)


def load_tables(source: Source, space: str, fitness: str | None, targets: Sequence[str] | None,
                epochs: int | None, label: str) -> EvaluationTables:
    """The searched space's fitness, costs and reported targets."""
    column = parse_fitness(space, fitness)  # first: a space without a mutation says so
    chosen = resolve_targets(source.connection, space, list(targets) if targets else None,
                             epochs, label)
    return load_evaluation_tables(source, space, column, chosen)
