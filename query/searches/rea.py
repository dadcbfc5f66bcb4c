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
"""

from __future__ import annotations

import numpy as np

from .ground_truth import EvaluationTables
from .mutations import Mutation, check_children
from .simulation import Histories, HistoryBuilder, evaluate
from .streams import RunStreams, choose


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
           clock: np.ndarray, budget_s: float, sample_size: int) -> None:
    """The REA cycles from a trained (runs, P) population (oldest first) until every run stops."""
    population, fitness = population.copy(), fitness.copy()
    size = population.shape[1]
    oldest = np.zeros(history.runs, dtype=np.int64)  # ring buffer: deque position k = oldest + k
    alive = clock < budget_s
    width = sample_size + mutation.draws + 1
    while alive.any():
        u = streams.take(width)
        runs = np.flatnonzero(alive)
        u = u[runs]
        slots = (oldest[runs, None] + choose(u[:, :sample_size], size)) % size
        sampled = fitness[runs[:, None], slots]
        parents = population[runs, slots[np.arange(len(runs)), sampled.argmax(axis=1)]]
        children = mutation.mutate(parents, u[:, sample_size:width - 1])
        check_children(tables, parents, children)
        child_fitness, cost = evaluate(tables, children, u[:, -1])
        fits = clock[runs] + cost <= budget_s
        kept = runs[fits]
        clock[kept] += cost[fits]
        history.add(kept, children[fits], child_fitness[fits], clock[kept])
        population[kept, oldest[kept]] = children[fits]
        fitness[kept, oldest[kept]] = child_fitness[fits]
        oldest[kept] = (oldest[kept] + 1) % size
        alive[runs[~fits]] = False
        alive[kept] = clock[kept] < budget_s


def run_rea(tables: EvaluationTables, mutation: Mutation, runs: int, seed: int,
            budget_s: float, population: int, sample_size: int) -> Histories:
    """Every run of REA; returns their histories (clock starting at 0)."""
    streams = RunStreams(seed, runs)
    history, clock = HistoryBuilder(runs), np.zeros(runs)
    members, fitness = random_members(tables, streams, population, history, clock)
    evolve(tables, mutation, streams, members, fitness, history, clock, budget_s, sample_size)
    return history.build(np.zeros(runs))
