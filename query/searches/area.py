"""Assisted REA (AREA, the NASWOT paper's Algorithm 2), every run at once.

Each run draws M archs uniformly at random (with replacement), looks up their stored scores
(charging each its stored scoring time), keeps the P best-scoring (non-finite scores last,
equal scores in draw order) as REA's initial population in the order they were drawn, trains
them like any REA member, then runs REA's cycles (:mod:`.rea`) on the same clock.

Random stream of run ``r``: per drawn arch two doubles (the arch; under the ``random`` replicate
policy which stored replicate scores it, else unused), then per kept member its training seed,
then the REA cycles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import QueryError
from .best_of_n import Replicate, SearchTables, score_pool
from ..shipped import SHIPPED
from .ground_truth import EvaluationTables, align_ids
from .mutations import Mutation
from .rea import Rules, evolve, train_all
from .simulation import Histories, HistoryBuilder
from .streams import RunStreams, choose


@dataclass(frozen=True)
class ScoreLookup:
    """Stored scores per searched arch under one replicate policy (row = EvaluationTables row).

    ``values``/``times`` are (archs,) or, for the random policy, (archs, replicates) with
    ``counts`` stored replicates per arch left-aligned by ``columns``.
    """

    values: np.ndarray
    times: np.ndarray
    counts: np.ndarray | None
    columns: np.ndarray | None
    description: str = ""  # which scores, for the caption

    @classmethod
    def build(cls, scores: SearchTables, tables: EvaluationTables, replicate: Replicate,
              hint: str) -> "ScoreLookup":
        pool, _ = score_pool(scores, replicate)
        where, found = align_ids(pool.arch_ids, tables.arch_ids)
        if not found.all():
            missing = int((~found).sum())
            raise QueryError(f"AREA draws from all {tables.size} archs of space "
                             f"{tables.space!r}, but {missing} of them have no stored score "
                             f"under this replicate policy; build them with {hint}")
        take = (lambda array: None if array is None else array[where])
        origin = " shipped with naswot-db" if scores.origin == SHIPPED else ""
        description = (f"{scores.config.score} scores on {scores.dataset}{origin}, config "
                       f"{scores.config.config_id}")
        return cls(pool.values[where], pool.times[where], take(pool.counts), take(pool.compact),
                   description)

    def draw(self, rows: np.ndarray, u_replicate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Score and scoring time of each drawn row."""
        if self.counts is None:
            return self.values[rows], self.times[rows]
        column = self.columns[rows, choose(u_replicate, self.counts[rows])]
        return self.values[rows, column], self.times[rows, column]


def run_area(tables: EvaluationTables, mutation: Mutation, scores: ScoreLookup,
             runs: int, seed: int, population: int, init_sample: int,
             rules: Rules) -> Histories:
    """Every run of AREA; returns their histories (clock starting after the scoring)."""
    if population > init_sample:
        raise QueryError(f"AREA keeps the best P = {population} of its M = {init_sample} scored "
                         f"archs, so P must not exceed M (--population, --init-sample)")
    streams = RunStreams(seed, runs)
    u = streams.take(2 * init_sample).reshape(runs, init_sample, 2)
    drawn = choose(u[..., 0], tables.size)
    score, scoring_s = scores.draw(drawn, u[..., 1])
    ranked = np.where(np.isfinite(score), score, -np.inf)
    kept = np.sort(np.argsort(-ranked, axis=1, kind="stable")[:, :population], axis=1)
    members = np.take_along_axis(drawn, kept, axis=1)
    start = scoring_s.sum(axis=1)
    history, clock = HistoryBuilder(runs), start.copy()
    fitness = train_all(tables, members, streams.take(population), history, clock)
    evolve(tables, mutation, streams, members, fitness, history, clock, rules)
    return history.build(start)

