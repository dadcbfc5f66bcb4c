"""The query layer: DuckDB views and SQL macros, simulated search, correlation studies, plots.

Names are imported on first use (PEP 562), so a command that needs only the search does not pay
for SciPy, matplotlib or SQLAlchemy.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "QueryError": "errors", "SearchResult": "searches.best_of_n", "Target": "targets",
    "connect": "connection", "correlations": "correlation", "engine": "connection",
    "scatter_plot": "plots", "search_plot": "searches.plots",
    "simulate_search": "searches.best_of_n",
    "anytime_plot": "searches.plots", "compare_searches": "searches.compare",
    "simulate_budget_search": "searches",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
