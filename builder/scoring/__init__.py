"""Training-free scores of untrained networks: the :class:`Scorer` plug-ins and their registry.

Score names come from :mod:`naswot_db.names`; ``get_scorer(name)`` returns the plug-in.  A
third-party plug-in is registered at run time (:func:`register_scorer`) or installed as an entry
point of group ``naswot_db.scores`` (loaded when its name is first asked for).  The build hands
the plug-in's class to its worker processes and Ray actors, whose own registries know only the
built-in scores.
"""

from __future__ import annotations

from naswot_db.names import (
    UnknownNameError, canonical_score, installed_score_plugin, register_score, score_key,
)

from .base import STATUS_ERROR, STATUS_OK, STATUS_SINGULAR, ScoreResult, Scorer
from .jacov import JacovScorer
from .naswot import (
    NaswotScorer, ReferenceProcedureError, is_reference_hooked, naswot_kernel, naswot_score,
)

_REGISTRY: dict[str, type[Scorer]] = {scorer.name: scorer for scorer in (NaswotScorer, JacovScorer)}


def register_scorer(scorer: type[Scorer]) -> type[Scorer]:
    """Add a score plug-in (usable as a class decorator); its name becomes a --score value."""
    _REGISTRY[register_score(scorer.name)] = scorer
    return scorer


def scorer_class(name: str) -> type[Scorer]:
    """The class of the score plug-in called ``name``; an installed one is loaded on first use."""
    key = canonical_score(name)
    if key not in _REGISTRY:
        entry_point = installed_score_plugin(key)
        if entry_point is None:
            raise UnknownNameError(f"score {key!r} has no plug-in registered in this process")
        try:
            loaded = entry_point.load()
        except Exception as exc:  # a broken plug-in is one error line, like an unknown name
            raise UnknownNameError(f"score plug-in {entry_point.value!r} cannot be loaded: "
                                   f"{type(exc).__name__}: {exc}") from exc
        if not (isinstance(loaded, type) and issubclass(loaded, Scorer)):
            raise UnknownNameError(f"score plug-in {entry_point.value!r} (entry point {key!r}) "
                                   "is not a Scorer subclass")
        if score_key(loaded.name) != key:
            raise UnknownNameError(f"score plug-in {entry_point.value!r} is named "
                                   f"{loaded.name!r}, not {key!r} as its entry point says")
        register_scorer(loaded)
    return _REGISTRY[key]


def get_scorer(name: str) -> Scorer:
    """The score plug-in called ``name`` (case-insensitive)."""
    return scorer_class(name)()


def score_network(model, images, *, allow_tf32: bool = False) -> ScoreResult:
    """The NASWOT score of ``model`` on ``images`` with its status (ok, singular, error)."""
    return NaswotScorer().score(model, images, allow_tf32=allow_tf32)


__all__ = ["STATUS_ERROR", "STATUS_OK", "STATUS_SINGULAR", "JacovScorer", "NaswotScorer",
           "ReferenceProcedureError", "ScoreResult", "Scorer", "get_scorer", "register_scorer",
           "is_reference_hooked", "scorer_class", "naswot_kernel", "naswot_score", "score_network"]
