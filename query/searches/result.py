"""The outcome of a budgeted search: every run's answer and history, and its table row."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..targets import Target
from .ground_truth import EvaluationTables
from .simulation import Histories


@dataclass(frozen=True)
class SearchSettings:
    """What a budgeted search was asked to do (the caption of its table)."""

    method: str
    runs: int
    seed: int
    budget_s: float
    population: int | None
    sample_size: int | None
    init_sample: int | None
    fitness: str
    replicate: object | None
    fitness_source: str = ""            # one random seed, or the seed mean
    cost_source: str = ""               # measured or modelled
    scores: str | None = None           # AREA: the stored scores that rank its sample
    tournament_replace: bool = True     # REA/AREA: tournament drawn with replacement
    keep_last: bool = False             # the training that crosses the budget counts


@dataclass(frozen=True)
class BudgetSearchResult:
    """Every run of one budgeted method.

    ``chosen`` holds each run's answer as an arch id (-1: the run trained nothing);
    ``accuracies`` its target accuracies (NaN for such runs); ``time_s`` the simulated search
    time (scoring + training + evaluation charged); ``evaluations`` the archs trained.
    """

    space: str
    settings: SearchSettings
    targets: list[Target]
    chosen: np.ndarray
    accuracies: np.ndarray
    time_s: np.ndarray
    evaluations: np.ndarray
    histories: Histories
    arch_ids: np.ndarray        # searched space, row -> arch id (for the histories)
    space_accuracies: np.ndarray  # (archs, targets), row -> target accuracies

    @classmethod
    def from_histories(cls, tables: EvaluationTables, settings: SearchSettings,
                       histories: Histories) -> "BudgetSearchResult":
        answers = histories.answers()
        accuracies = np.where((answers >= 0)[:, None],
                              tables.accuracies[np.maximum(answers, 0)], np.nan)
        return cls(tables.space, settings, tables.targets,
                   np.where(answers >= 0, tables.arch_ids[np.maximum(answers, 0)], -1),
                   accuracies, histories.total_time_s(), histories.evaluations, histories,
                   tables.arch_ids, tables.accuracies)

    def row(self) -> dict:
        """The table row: runs with an answer, mean ± std (population std, over those runs) of
        each target, the mean simulated time and the mean number of archs trained."""
        answered = self.chosen >= 0
        row: dict = {"method": self.settings.method, "n": None, "runs": int(answered.sum()),
                     "runs_without_answer": int((~answered).sum()),
                     "time_mean_s": float(self.time_s.mean()),
                     "time_std_s": float(self.time_s.std()),
                     "evaluations_mean": float(self.evaluations.mean())}
        for column, target in enumerate(self.targets):
            values = self.accuracies[answered, column]
            row[f"{target.label} mean"] = float(values.mean()) if values.size else np.nan
            row[f"{target.label} std"] = float(values.std()) if values.size else np.nan
        return row

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([self.row()]).astype({"n": "Int64"})
