"""The settings every budgeted search shares: the time budget, REA's P and S, AREA's M, the
seed, and the two ablations of the reference's rules (defaults as in the paper)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import QueryError
from .rea import Rules

DEFAULT_BUDGET_S = 12_000.0
DEFAULT_POPULATION = 10
DEFAULT_SAMPLE_SIZE = 3
DEFAULT_INIT_SAMPLE = 20


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

    def rules(self) -> Rules:
        """How an evolutionary method's cycles run under these settings."""
        return Rules(self.budget_s, self.sample_size, self.tournament_replace, self.keep_last)
