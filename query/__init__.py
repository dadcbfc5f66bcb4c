"""The query layer: DuckDB views and SQL macros, simulated search, correlation studies, plots."""

from .connection import connect, engine
from .correlation import correlations
from .errors import QueryError
from .plots import scatter_plot, search_plot
from .search import SearchResult, simulate_search
from .targets import Target

__all__ = ["QueryError", "SearchResult", "Target", "connect", "correlations", "engine",
           "scatter_plot", "search_plot", "simulate_search"]
