"""Random search under a time budget, as NAS-Bench-201's reference random search runs it.

Each run trains uniformly random archs (with replacement) while its clock is under the budget;
an arch whose training would take the clock past the budget is discarded and the run stops
(``keep_last``: it is trained and counts, as NATS-Bench's loop does).
The answer is the fittest arch trained; a run whose first training already exceeds the budget
trains nothing and has no answer (counted, and left out of the means).

Random stream of run ``r``: per training two doubles, the arch and its training seed.
"""

from __future__ import annotations

import numpy as np

from .ground_truth import EvaluationTables
from .rea import within_budget
from .simulation import Histories, HistoryBuilder, evaluate
from .streams import RunStreams, choose


def run_random(tables: EvaluationTables, runs: int, seed: int,
               budget_s: float, keep_last: bool = False) -> Histories:
    """Every run of the budgeted random search; returns their histories."""
    streams = RunStreams(seed, runs)
    history, clock = HistoryBuilder(runs), np.zeros(runs)
    alive = clock < budget_s
    while alive.any():
        u = streams.take(2)
        which = np.flatnonzero(alive)
        rows = choose(u[which, 0], tables.size)
        fitness, cost = evaluate(tables, rows, u[which, 1])
        fits = within_budget(clock[which], cost, budget_s, keep_last)
        kept = which[fits]
        clock[kept] += cost[fits]
        history.add(kept, rows[fits], fitness[fits], clock[kept])
        alive[which[~fits]] = False
        alive[kept] = clock[kept] < budget_s
    return history.build(np.zeros(runs))
