"""Which scores of a build the space's network can run, decided before any work.

A score's descriptor says what it needs of the network (``ScoreInfo.network_needs``: a class
head, an ``nn.AdaptiveAvgPool2d`` global pool); a space's descriptor says what its network
lacks (``SpaceInfo.network_lacks``), so the check imports neither torch nor a network.  A score
the user named that cannot run is one error line; a score only ``suite-zero`` or ``all``
selected is left out of the build with a note, so a group build of NB101 stores every score it
can instead of a column of error rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from naswot_db.core.scores import NETWORK_NEEDS, score_info
from naswot_db.core.spaces import space_info

from .config import BuildConfig, BuildError


def why_not(score: str, space: str) -> str | None:
    """Why ``space``'s network cannot run ``score`` (None: it can, or nothing is declared)."""
    info = score_info(score)
    for need in () if info is None else info.network_needs:
        lack = space_info(space).lack(need)
        if lack is not None:
            return f"it needs {NETWORK_NEEDS[need]}, and {lack}"
    return None


@dataclass(frozen=True)
class Runnable:
    """A build reduced to the scores its space can run, and a note per score left out."""

    config: BuildConfig
    notes: list[str]


def runnable_scores(config: BuildConfig) -> Runnable:
    """``config`` without the group-selected scores its space cannot run; raises
    :class:`BuildError` for a named score it cannot run, or when none is left."""
    reasons = {score: why_not(score, config.space) for score in config.scores}
    reasons = {score: reason for score, reason in reasons.items() if reason is not None}
    for score, reason in reasons.items():
        if score not in config.group_scores or len(reasons) == len(config.scores):
            raise BuildError(f"score {score} cannot run on space {config.space}: {reason}")
    notes = [f"{score} skipped (selected by a group, not by name): it cannot run on space "
             f"{config.space}: {reason}" for score, reason in reasons.items()]
    return Runnable(config.without(list(reasons)) if reasons else config, notes)
