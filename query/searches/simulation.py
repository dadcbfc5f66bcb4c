"""What every budgeted search shares: a "training" is a look-up charged to the run's clock, and
the history of what each run trained, from which the answer and the anytime curve follow."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .ground_truth import EvaluationTables
from .streams import choose


def evaluate(tables: EvaluationTables, rows: np.ndarray,
             u_seed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fitness and cost of training ``rows``, each with its ``floor(u * seeds)``-th seed
    (ascending seed order, as NATS-Bench's ``random.choice`` over the sorted seed list)."""
    slot = choose(u_seed, tables.seed_counts[rows])
    return tables.fitness[rows, slot], tables.cost[rows, slot]


@dataclass
class HistoryBuilder:
    """Collects one column per step: the row each run trained (-1: none), its fitness and the
    run's clock after it."""

    runs: int
    rows: list[np.ndarray] = field(default_factory=list)
    fitness: list[np.ndarray] = field(default_factory=list)
    clock: list[np.ndarray] = field(default_factory=list)

    def add(self, which: np.ndarray, rows: np.ndarray, fitness: np.ndarray,
            clock: np.ndarray) -> None:
        """Record that runs ``which`` trained ``rows`` and then stood at ``clock`` seconds."""
        column_rows = np.full(self.runs, -1, dtype=np.int64)
        column_fitness = np.full(self.runs, -np.inf)
        column_clock = np.full(self.runs, np.nan)
        column_rows[which], column_fitness[which], column_clock[which] = rows, fitness, clock
        self.rows.append(column_rows)
        self.fitness.append(column_fitness)
        self.clock.append(column_clock)

    def build(self, start_s: np.ndarray) -> "Histories":
        def stacked(columns: list[np.ndarray], dtype, fill) -> np.ndarray:
            return (np.stack(columns, axis=1) if columns
                    else np.full((self.runs, 0), fill, dtype=dtype))

        return Histories(stacked(self.rows, np.int64, -1), stacked(self.fitness, float, -np.inf),
                         stacked(self.clock, float, np.nan), start_s)


@dataclass(frozen=True)
class Histories:
    """Every run's trainings in order, left-aligned: (runs, longest) arrays, padded with
    row -1, fitness -inf and clock NaN.  ``start_s``: time charged before the first training
    (AREA's scoring)."""

    rows: np.ndarray
    fitness: np.ndarray
    clock_s: np.ndarray
    start_s: np.ndarray

    @property
    def evaluations(self) -> np.ndarray:
        return (self.rows >= 0).sum(axis=1)

    def total_time_s(self) -> np.ndarray:
        """Each run's simulated search time: its clock after its last training."""
        last = np.maximum(self.evaluations - 1, 0)
        ends = self.clock_s[np.arange(len(last)), last] if self.clock_s.shape[1] else \
            np.full(len(last), np.nan)
        return np.where(self.evaluations > 0, ends, self.start_s)

    def incumbents(self) -> np.ndarray:
        """(runs, longest): the history index of the best fitness so far (the first of equal
        ones, as Python's ``max`` over the history), -1 before the first training."""
        if self.fitness.shape[1] == 0:
            return np.full(self.rows.shape, -1, dtype=np.int64)
        best_before = np.maximum.accumulate(self.fitness, axis=1)
        best_before = np.concatenate([np.full((len(self.rows), 1), -np.inf),
                                      best_before[:, :-1]], axis=1)
        improved = (self.fitness > best_before) & (self.rows >= 0)
        steps = np.where(improved, np.arange(self.rows.shape[1]), -1)
        return np.maximum.accumulate(steps, axis=1)

    def answers(self) -> np.ndarray:
        """Row of each run's answer (the history's best fitness), -1 for a run that trained
        nothing."""
        last = self.incumbents()[:, -1] if self.rows.shape[1] else \
            np.full(len(self.rows), -1, dtype=np.int64)
        return np.where(last >= 0, self.rows[np.arange(len(last)), np.maximum(last, 0)], -1)
