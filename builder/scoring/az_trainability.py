"""AZ-NAS trainability: one of the three components that az_nas_components computes in one pass."""

from __future__ import annotations

from naswot_db.core.scores.az_trainability import INFO

from .az_nas_components import AzComponentScorer


class AzTrainabilityScorer(AzComponentScorer):
    """AZ-NAS trainability."""

    info = INFO
    component = "trainability"
