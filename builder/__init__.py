"""Scoring side of naswot-db: spaces, datasets, the NASWOT scorer and the build runner."""

from .scoring.naswot import ScoreResult, naswot_score, score_network
from .spaces import get_space

__all__ = ["ScoreResult", "get_space", "naswot_score", "score_network"]
