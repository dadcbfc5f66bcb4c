"""Training-free scores of untrained networks: the :class:`Scorer` plug-ins and their registry.

What a score is (name, citation, needs, direction) is its descriptor in :mod:`naswot_db.core.scores`;
this package holds how it is computed.  ``scorer_class(name)`` imports the class the descriptor
names.  A third-party plug-in is registered at run time (:func:`register_scorer`, which also
describes it) or installed as an entry point of group ``naswot_db.scores`` (loaded when its name
is first asked for).  The build hands the plug-in's class to its worker processes and Ray
actors, whose own registries know only the built-in scores.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from naswot_db.core.names import UnknownNameError
from naswot_db.core.scores import (
    ScoreInfo, canonical_score, describe, installed_score_plugin, score_info, score_key,
)

from .base import STATUS_ERROR, STATUS_OK, STATUS_SINGULAR, ScoreResult, Scorer
from .passes import SharedPasses
from .naswot import NaswotScorer, naswot_score
from .naswot_engine import naswot_kernel
from .reference import ReferenceProcedureError, is_reference_hooked

# classes registered at run time (plug-ins); built-in scores are imported from their descriptor
_REGISTRY: dict[str, type[Scorer]] = {}


def register_scorer(scorer: type[Scorer]) -> type[Scorer]:
    """Add a score plug-in (usable as a class decorator); its name becomes a --score value."""
    key = score_key(scorer.name)
    describe(scorer.info or ScoreInfo(
        name=key, citation=scorer.citation,
        implementation=f"{scorer.__module__}:{scorer.__qualname__}",
        needs_batch=scorer.needs_batch, needs_labels=scorer.needs_labels,
        changes_weights=scorer.changes_weights, higher_is_better=scorer.higher_is_better,
        class_head=scorer.class_head))
    _REGISTRY[key] = scorer
    return scorer


def _implementation(info: ScoreInfo) -> type[Scorer]:
    module_name, _, class_name = info.implementation.partition(":")
    try:
        scorer = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise UnknownNameError(f"score {info.name!r} has no implementation in this install "
                               f"({info.implementation}: {type(exc).__name__}: {exc})") from exc
    if scorer.name != info.name:
        raise UnknownNameError(f"{info.implementation} computes {scorer.name!r}, not "
                               f"{info.name!r} as its descriptor says")
    return scorer


def _installed(key: str) -> type[Scorer]:
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
    return register_scorer(loaded)


def scorer_class(name: str) -> type[Scorer]:
    """The class of the score plug-in called ``name``; an installed one is loaded on first use."""
    key = canonical_score(name)
    if key not in _REGISTRY:
        info = score_info(key)
        _REGISTRY[key] = _installed(key) if info is None else _implementation(info)
    return _REGISTRY[key]


def get_scorer(name: str, settings: Mapping[str, Any] | None = None) -> Scorer:
    """The score plug-in called ``name`` (case-insensitive), made with ``settings`` (its
    descriptor's settings, e.g. ``{"log_compress": True}``; none: its defaults)."""
    return scorer_class(name)(**(settings or {}))


def score_network(model, images, *, allow_tf32: bool = False) -> ScoreResult:
    """The NASWOT score of ``model`` on ``images`` with its status (ok, singular, error)."""
    return NaswotScorer().score(model, images, allow_tf32=allow_tf32)


__all__ = ["STATUS_ERROR", "STATUS_OK", "STATUS_SINGULAR", "NaswotScorer",
           "ReferenceProcedureError", "ScoreResult", "Scorer", "SharedPasses", "get_scorer",
           "register_scorer", "is_reference_hooked", "scorer_class", "naswot_kernel", "naswot_score", "score_network"]
