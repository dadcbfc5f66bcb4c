"""AZ-NAS expressivity: one of the three components that az_nas_components computes in one pass."""

from __future__ import annotations

from naswot_db.core.scores.az_expressivity import INFO

from .az_nas_components import AzComponentScorer


class AzExpressivityScorer(AzComponentScorer):
    """AZ-NAS expressivity."""

    info = INFO
    component = "expressivity"
