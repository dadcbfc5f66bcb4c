"""AZ-NAS progressivity: one of the three components that az_nas_components computes in one pass."""

from __future__ import annotations

from naswot_db.core.scores.az_progressivity import INFO

from .az_nas_components import AzComponentScorer


class AzProgressivityScorer(AzComponentScorer):
    """AZ-NAS progressivity."""

    info = INFO
    component = "progressivity"
