"""The budgeted searches' entry point: load what the method needs once, then run it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from naswot_db.core.names import canonical_space
from naswot_db.core.scores import DEFAULT_SCORE

from ..errors import QueryError
from ..search import RANDOM_REPLICATE, Replicate, load_search_tables
from ..selection import Source, build_hint, choose_config, open_source
from ..targets import resolve_targets
from .area import ScoreLookup, run_area
from .ground_truth import EvaluationTables, load_evaluation_tables, parse_fitness
from .mutations import Mutation, mutation_for
from .random_budget import run_random
from .rea import Rules, run_rea
from .result import BUDGETED_METHODS, BudgetSearchResult, SearchSettings

DEFAULT_BUDGET_S = 12_000.0
DEFAULT_POPULATION = 10
DEFAULT_SAMPLE_SIZE = 3
DEFAULT_INIT_SAMPLE = 20
# the paper's run counts: the baselines 500, AREA 50
DEFAULT_RUNS = {"random": 500, "rea": 500, "area": 50}


@dataclass(frozen=True)
class BudgetOptions:
    """The settings of REA, AREA and the budgeted random search (defaults as in the paper)."""

    budget_s: float = DEFAULT_BUDGET_S
    population: int = DEFAULT_POPULATION
    sample_size: int = DEFAULT_SAMPLE_SIZE
    init_sample: int = DEFAULT_INIT_SAMPLE
    seed: int = 0
    # ablations of the reference's rules (REFERENCE-FACTS.md section 6): NAS-Bench-201's R_EA.py
    # draws the tournament with replacement and discards the child that would cross the budget;
    # AREA's pseudocode samples without replacement, NATS-Bench's loop trains that last child
    tournament_replace: bool = True
    keep_last: bool = False

    def check(self) -> None:
        for name in ("population", "sample_size", "init_sample"):
            if getattr(self, name) < 1:
                raise QueryError(f"{name.replace('_', ' ')} must be at least 1, "
                                 f"not {getattr(self, name)}")
        if not self.budget_s >= 0:
            raise QueryError(f"the time budget must be a non-negative number of seconds, "
                             f"not {self.budget_s}")
        if self.seed < 0:
            raise QueryError(f"seed must be non-negative, not {self.seed}")
        if not self.tournament_replace and self.sample_size > self.population:
            raise QueryError(f"a tournament without replacement draws S = {self.sample_size} "
                             f"distinct members of a population of P = {self.population}; "
                             f"S must not exceed P")


def run_budget_search(tables: EvaluationTables, method: str, runs: int,
                      options: BudgetOptions, scores: ScoreLookup | None = None,
                      replicate: Replicate | None = None,
                      mutation: Mutation | None = None) -> BudgetSearchResult:
    """Run ``method`` on loaded tables (the part the speed benchmark times).

    ``mutation``: :func:`mutation_for` of ``tables``, built once when running many searches.
    """
    if method not in BUDGETED_METHODS:
        raise QueryError(f"unknown budgeted method {method!r}; choose from "
                         f"{', '.join(BUDGETED_METHODS)}")
    if runs < 1:
        raise QueryError(f"runs must be at least 1, not {runs}")
    options.check()
    evolutionary = method != "random"
    settings = SearchSettings(method, runs, options.seed, options.budget_s,
                              options.population if evolutionary else None,
                              options.sample_size if evolutionary else None,
                              options.init_sample if method == "area" else None,
                              tables.fitness_column.spec,
                              replicate if method == "area" else None,
                              tables.fitness_source, tables.cost_source,
                              scores.description if method == "area" and scores else None,
                              options.tournament_replace, options.keep_last)
    if method == "random":
        histories = run_random(tables, runs, options.seed, options.budget_s, options.keep_last)
        return BudgetSearchResult.from_histories(tables, settings, histories)
    mutation = mutation or mutation_for(tables)
    rules = Rules(options.budget_s, options.sample_size, options.tournament_replace,
                  options.keep_last)
    if method == "rea":
        histories = run_rea(tables, mutation, runs, options.seed, options.population, rules)
    else:
        if scores is None:
            raise QueryError("AREA needs stored scores")
        histories = run_area(tables, mutation, scores, runs, options.seed, options.population,
                             options.init_sample, rules)
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
    """Simulate ``method`` (``random``, ``rea`` or ``area``) on ``space``.

    ``runs`` defaults to the paper's (500, AREA 50); ``fitness``: ``DATASET:SPLIT@EPOCHS``
    (default the space's, NB201: ``cifar10-valid:x-valid@12``); ``targets``/``epochs``/``label``
    choose the reported accuracies as for :func:`naswot_db.query.simulate_search`; ``score``,
    ``dataset``, ``replicate``, ``config_id``, ``batch_size`` and ``as_reference`` choose
    AREA's scores.
    """
    space = canonical_space(space)
    with open_source(root, connection) as source:
        tables = load_tables(source, space, fitness, targets, epochs, label)
        scores = (load_score_lookup(source, tables, dataset, replicate, config_id, batch_size,
                                    as_reference, score) if method == "area" else None)
    return run_budget_search(tables, method, runs or DEFAULT_RUNS.get(method, 500), options,
                             scores, replicate)


def load_tables(source: Source, space: str, fitness: str | None, targets: Sequence[str] | None,
                epochs: int | None, label: str) -> EvaluationTables:
    """The searched space's fitness, costs and reported targets."""
    column = parse_fitness(space, fitness)  # first: a space without a mutation says so
    chosen = resolve_targets(source.connection, space, list(targets) if targets else None,
                             epochs, label)
    return load_evaluation_tables(source, space, column, chosen)
