"""Scoring side of naswot-db: spaces, datasets, the score plug-ins and the build runner."""

from .scoring import ScoreResult, get_scorer, naswot_score, score_network
from .spaces import get_space

__all__ = ["ScoreResult", "get_scorer", "get_space", "naswot_score", "score_network"]
