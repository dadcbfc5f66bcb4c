"""What to cite for each benchmark and score, without importing the builder (torch).

Archives and exports carry these next to the numbers, so a table that travels keeps its sources.
Each space's and score's citation is its descriptor's (:mod:`naswot_db.core.spaces`,
:mod:`naswot_db.core.scores`).
"""

from __future__ import annotations

from naswot_db.core.scores import score_citation
from naswot_db.core.spaces import space_citation

__all__ = ["citations", "space_citation"]


def citations(spaces: list[str], scores: list[str]) -> dict[str, str]:
    """Name -> citation for every space and score in a table that is handed on."""
    return {**{space: space_citation(space) for space in sorted(set(spaces))},
            **{score: citation for score in sorted(set(scores))
               if (citation := score_citation(score)) is not None}}
