"""The catalogue of search methods: one descriptor per method, each in its own file.

Everything the tables, plots, the CLI and the comparison need to know about a method (its
name and aliases, its label, plot colour, default run count, whether it trains under a time
budget, its help line) lives in its :class:`SearchMethod`; none of them keeps a parallel table.
A budgeted method is a ``run`` function from a :class:`BudgetJob` to every run's
:class:`~naswot_db.query.searches.simulation.Histories`, so a new one needs no edit elsewhere.
Built-in methods are the modules of this package; installed third-party methods are found
through the entry point group ``naswot_db.search_methods`` (each pointing at a
:class:`SearchMethod`), loaded only when a name is not built in or every method is listed.

This module imports neither NumPy nor the searches: the CLI reads it to parse ``--method``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from naswot_db.core.catalogue import Catalogue
from naswot_db.core.errors import NaswotDbError

if TYPE_CHECKING:
    from ..area import ScoreLookup
    from ..ground_truth import EvaluationTables
    from ..mutations import Mutation
    from ..options import BudgetOptions
    from ..simulation import Histories

SEARCH_METHOD_GROUP = "naswot_db.search_methods"
ALL_METHODS = "all"


class UnknownMethodError(NaswotDbError):
    """A ``--method`` value names no built-in or installed search method."""


@dataclass(frozen=True)
class BudgetJob:
    """What a budgeted method's ``run`` gets: the searched space's tables and the settings."""

    tables: EvaluationTables
    runs: int
    options: BudgetOptions
    scores: ScoreLookup | None  # the stored scores, for a method with ``uses_scores``
    mutation: Mutation | None   # the space's mutation, for a method with ``uses_population``


@dataclass(frozen=True)
class SearchMethod:
    """Everything naswot-db knows about a search method besides how it searches."""

    name: str           # canonical: the --method value and the ``method`` column
    label: str          # how tables and plots name it; ``{score}`` is the score it ranks by
    help: str           # one clause for ``search --help``
    colour: str         # matplotlib colour of its curve or points
    default_runs: int = 500
    budgeted: bool = True        # trains archs under a time budget (a row per search, no N)
    aliases: tuple[str, ...] = ()
    uses_population: bool = False  # evolves a population: P, S and the space's mutation
    uses_scores: bool = False      # ranks a first sample by stored scores: M and --score
    run: Callable[[BudgetJob], Histories] | None = None  # a budgeted method's every run
    order: int = 100  # where it stands in ``all`` and in a comparison's rows (plug-ins last)

    def table_label(self, score: str) -> str:
        """Its name in a table or legend when ``score`` ranks (the label's ``{score}``)."""
        return self.label.format(score=score)


def _has_run(method: SearchMethod) -> None:
    """Refuse a budgeted method without a ``run`` (only the built-in best-of-N has none)."""
    if method.budgeted and method.run is None:
        raise ValueError(f"budgeted search method {method.name!r} has no run function")


def _budgeted(method: SearchMethod) -> None:
    """Refuse an installed method that is not budgeted (best-of-N is the one search that is
    not, and it is built in)."""
    if not method.budgeted:
        raise NaswotDbError(f"installed search method {method.name!r} is not budgeted; "
                            f"a method of group {SEARCH_METHOD_GROUP} trains under a budget")


_METHODS: Catalogue[SearchMethod] = Catalogue(
    "search method", SearchMethod, __name__, __path__,
    aliases=lambda method: method.aliases, spelling="lower case", check=_has_run,
    origin=lambda method: method.name, group=SEARCH_METHOD_GROUP, plugin_check=_budgeted)


def describe_method(method: SearchMethod) -> SearchMethod:
    """Add ``method`` to the catalogue; another method of the same name or alias is refused,
    and so is a budgeted method without a ``run`` (only the built-in best-of-N has none)."""
    return _METHODS.describe(method)


def _methods(plugins: bool = True) -> list[SearchMethod]:
    """Every described method once, in their ``order`` (best-of-N leads, plug-ins last)."""
    return sorted(_METHODS.entries(plugins), key=lambda m: (m.order, m.name))


def method_names(plugins: bool = True) -> list[str]:
    """Every method's canonical name (``plugins``: installed ones too)."""
    return [method.name for method in _methods(plugins)]


def search_method(name: str) -> SearchMethod:
    """The descriptor of method ``name`` (any case, or an alias); installed plug-ins too."""
    method = _METHODS.find(name)
    if method is None:
        raise UnknownMethodError(f"unknown search method {name!r}; choose from "
                                 f"{', '.join(method_names())} or {ALL_METHODS} "
                                 "(comma-separated)")
    return method


def parse_methods(text: str | Sequence[str]) -> list[str]:
    """``"rea,area"`` or a list -> the methods in the order given, one spelling each (an alias
    stays as asked: it names the method's table rows); ``all`` -> every method."""
    names = [m.strip().lower() for m in (text.split(",") if isinstance(text, str) else text)]
    if names == [ALL_METHODS]:
        return method_names()
    names = [m for m in names if m]
    if not names:
        raise UnknownMethodError(f"no search method in {text!r}; choose from "
                                 f"{', '.join(method_names())} or {ALL_METHODS}")
    unknown = [m for m in names if _METHODS.find(m) is None]
    if unknown:
        raise UnknownMethodError(f"unknown search method {', '.join(map(repr, unknown))}; "
                                 f"choose from {', '.join(method_names())} or {ALL_METHODS} "
                                 "(comma-separated)")
    chosen: dict[str, str] = {}
    for name in names:
        chosen.setdefault(search_method(name).name, name)
    return list(chosen.values())


def methods_help() -> str:
    """``search --method``'s help: every method's clause, plug-ins included."""
    clauses = [f"{m.name} ({m.help})" if not m.aliases
               else f"{m.name} (alias {', '.join(m.aliases)}; {m.help})" for m in _methods()]
    return ("; ".join(clauses) + f"; comma-separated, or {ALL_METHODS}: one table row each. "
            f"Installed methods register under the entry point group {SEARCH_METHOD_GROUP}.")


def default_runs_help() -> str:
    """``--runs``' help: each method's default run count (the paper's for the built-in ones)."""
    counts: dict[int, list[str]] = {}
    for method in _methods():
        counts.setdefault(method.default_runs, []).append(method.name)
    described = "; ".join(f"{', '.join(names)} {runs}" for runs, names in counts.items())
    return f"Runs per method [default: the method's, {described}]."
