"""Simulated searches from stored data: best-of-N over stored scores, and the searches that
"train" archs under a time budget, every training a look-up charged with the benchmark's
recorded time (REFERENCE-FACTS.md section 6):

* :mod:`.methods` - one descriptor per method (name, label, plot colour, default runs, help)
  and the registry, entry point group ``naswot_db.search_methods``;
* :mod:`.best_of_n` - the best-scored of N random archs (NASWOT's search), a row per N;
* :mod:`.random_budget` - random search;
* :mod:`.rea` - regularised evolution as NAS-Bench-201's reference runs it;
* :mod:`.area` - AREA: REA seeded with the best-scoring of a larger random sample;
* :mod:`.mutations` - each space's mutation; :mod:`.streams` - the per-run random streams;
* :mod:`.compare` - every method in one paper-style table; :mod:`.anytime` - best-so-far curves;
* :mod:`.report` and :mod:`.plots` - their tables and figures.

Names are imported on first use (PEP 562): the CLI reads :mod:`.methods` without NumPy.
"""

from __future__ import annotations

import importlib

_EXPORTS = {"BudgetOptions": "options", "BudgetSearchResult": "result",
            "run_budget_search": "simulate", "simulate_budget_search": "simulate"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
