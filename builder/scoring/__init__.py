"""Scores of untrained networks (NASWOT)."""

from .naswot import (
    STATUS_ERROR, STATUS_OK, STATUS_SINGULAR, ReferenceProcedureError, ScoreResult,
    is_reference_hooked, naswot_kernel, naswot_score, score_network,
)

__all__ = ["STATUS_ERROR", "STATUS_OK", "STATUS_SINGULAR", "ReferenceProcedureError",
           "ScoreResult", "is_reference_hooked", "naswot_kernel", "naswot_score", "score_network"]
