"""Training-free scores of untrained networks: the :class:`Scorer` plug-ins and their registry.

Score names come from :mod:`naswot_db.names`; ``get_scorer(name)`` returns the plug-in.
"""

from __future__ import annotations

from naswot_db.names import canonical_score, register_score

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


def get_scorer(name: str) -> Scorer:
    """The score plug-in called ``name`` (case-insensitive)."""
    return _REGISTRY[canonical_score(name)]()


def score_network(model, images, *, allow_tf32: bool = False) -> ScoreResult:
    """The NASWOT score of ``model`` on ``images`` with its status (ok, singular, error)."""
    return NaswotScorer().score(model, images, allow_tf32=allow_tf32)


__all__ = ["STATUS_ERROR", "STATUS_OK", "STATUS_SINGULAR", "JacovScorer", "NaswotScorer",
           "ReferenceProcedureError", "ScoreResult", "Scorer", "get_scorer", "register_scorer",
           "is_reference_hooked", "naswot_kernel", "naswot_score", "score_network"]
