"""Regularised evolution (REA) as NAS-Bench-201's reference code runs it, every run at once.

``R_EA.py``: train P random archs (always, even past the budget); then, while the clock is
under the budget, draw S members of the population *with* replacement, take the fittest as
the parent (the first of equal ones), mutate it, and train the child unless that would take the
clock past the budget (then the run stops and the child is discarded); the child joins the
population and the oldest member leaves.  The answer is the history's fittest arch.

Random stream of run ``r`` (``default_rng([seed, r]).random()``, see :mod:`.streams`):
per initial member two doubles (the arch, uniformly with replacement over the space; the
training seed); per child ``S`` doubles (population positions, oldest first), the mutation's
doubles (:mod:`.mutations`), then the child's training seed.

Two ablations of these rules (:class:`Rules`), each off by default: a tournament *without*
replacement (AREA's pseudocode; the k-th double picks the ``floor(u * (P - k))``-th of the
positions not drawn yet, in population order), and keeping the child whose training crosses
the budget (NATS-Bench's ``regularized_ea.py``: the loop runs while the clock is under budget,
so the last training may overshoot; random search likewise).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ground_truth import EvaluationTables
from .mutations import Mutation, check_children
from .simulation import Histories, HistoryBuilder, evaluate
from .streams import RunStreams, choose


@dataclass(frozen=True)
class Rules:
    """How the cycles run: budget, tournament size S and the two ablations."""

    budget_s: float
    sample_size: int
    tournament_replace: bool = True
    keep_last: bool = False


def tournament(u: np.ndarray, size: int, replace: bool) -> np.ndarray:
    """(runs, S) population positions (0 = oldest) drawn with the doubles ``u``: with
    replacement ``floor(u * P)``; without, the ``floor(u_k * (P - k))``-th position not drawn
    yet (as ``list.pop`` on the population in order)."""
    if replace:
        return choose(u, size)
    picks = np.empty(u.shape, dtype=np.int64)
    for k in range(u.shape[1]):
        pick = choose(u[:, k], size - k)
        for taken in np.sort(picks[:, :k], axis=1).T:  # skip the drawn ones, lowest first
            pick = pick + (pick >= taken)
        picks[:, k] = pick
    return picks


def within_budget(clock: np.ndarray, cost: np.ndarray, budget_s: float,
                  keep_last: bool) -> np.ndarray:
    """Which trainings count: those that end within the budget (NAS-Bench-201), or every one
    started under it (``keep_last``, NATS-Bench)."""
    return np.ones(len(cost), dtype=bool) if keep_last else clock + cost <= budget_s


def random_members(tables: EvaluationTables, streams: RunStreams, count: int,
                   history: HistoryBuilder, clock: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Train ``count`` random archs per run (two doubles each); returns rows and fitness."""
    u = streams.take(2 * count).reshape(history.runs, count, 2)
    rows = choose(u[..., 0], tables.size)
    return rows, train_all(tables, rows, u[..., 1], history, clock)


def train_all(tables: EvaluationTables, rows: np.ndarray, u_seed: np.ndarray,
              history: HistoryBuilder, clock: np.ndarray) -> np.ndarray:
    """Train (runs, k) ``rows`` in column order whatever the budget, advancing ``clock``."""
    fitness, cost = evaluate(tables, rows, u_seed)
    every_run = np.arange(history.runs)
    for column in range(rows.shape[1]):
        clock += cost[:, column]
        history.add(every_run, rows[:, column], fitness[:, column], clock.copy())
    return fitness


def evolve(tables: EvaluationTables, mutation: Mutation, streams: RunStreams,
           population: np.ndarray, fitness: np.ndarray, history: HistoryBuilder,
           clock: np.ndarray, rules: Rules) -> None:
    """The REA cycles from a trained (runs, P) population (oldest first) until every run stops."""
    population, fitness = population.copy(), fitness.copy()
    size, sample_size, budget_s = population.shape[1], rules.sample_size, rules.budget_s
    oldest = np.zeros(history.runs, dtype=np.int64)  # ring buffer: deque position k = oldest + k
    alive = clock < budget_s
    width = sample_size + mutation.draws + 1
    while alive.any():
        u = streams.take(width)
        runs = np.flatnonzero(alive)
        u = u[runs]
        slots = (oldest[runs, None]
                 + tournament(u[:, :sample_size], size, rules.tournament_replace)) % size
        sampled = fitness[runs[:, None], slots]
        parents = population[runs, slots[np.arange(len(runs)), sampled.argmax(axis=1)]]
        children = mutation.mutate(parents, u[:, sample_size:width - 1])
        check_children(tables, parents, children)
        child_fitness, cost = evaluate(tables, children, u[:, -1])
        fits = within_budget(clock[runs], cost, budget_s, rules.keep_last)
        kept = runs[fits]
        clock[kept] += cost[fits]
        history.add(kept, children[fits], child_fitness[fits], clock[kept])
        population[kept, oldest[kept]] = children[fits]
        fitness[kept, oldest[kept]] = child_fitness[fits]
        oldest[kept] = (oldest[kept] + 1) % size
        alive[runs[~fits]] = False
        alive[kept] = clock[kept] < budget_s


def run_rea(tables: EvaluationTables, mutation: Mutation, runs: int, seed: int,
            population: int, rules: Rules) -> Histories:
    """Every run of REA; returns their histories (clock starting at 0)."""
    streams = RunStreams(seed, runs)
    history, clock = HistoryBuilder(runs), np.zeros(runs)
    members, fitness = random_members(tables, streams, population, history, clock)
    evolve(tables, mutation, streams, members, fitness, history, clock, rules)
    return history.build(np.zeros(runs))
