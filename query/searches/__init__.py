"""Budgeted searches simulated from stored ground truth: REA, AREA and random search.

``naswot`` (the best-scored of N random archs) lives in :mod:`naswot_db.query.search`; this
package adds the searches that "train" archs under a time budget, every training a look-up
charged with the benchmark's recorded time (REFERENCE-FACTS.md section 6):

* :mod:`.random_budget` - random search;
* :mod:`.rea` - regularised evolution as NAS-Bench-201's reference runs it;
* :mod:`.area` - AREA: REA seeded with the best-scoring of a larger random sample;
* :mod:`.mutations` - each space's mutation; :mod:`.streams` - the per-run random streams;
* :mod:`.compare` - every method in one paper-style table; :mod:`.anytime` - best-so-far curves.
"""

from .result import METHODS, BudgetSearchResult
from .simulate import BudgetOptions, run_budget_search, simulate_budget_search

__all__ = ["METHODS", "BudgetOptions", "BudgetSearchResult", "run_budget_search",
           "simulate_budget_search"]
