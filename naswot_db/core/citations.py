"""What to cite for each benchmark and score, without importing the builder (torch).

Archives and exports carry these next to the numbers, so a table that travels keeps its sources.
"""

from __future__ import annotations

from naswot_db.core.names import ground_truth_space, is_nds_space
from naswot_db.core.scores import score_citation

_SPACES = {
    "nb201": "Dong & Yang, NAS-Bench-201, ICLR 2020; Dong et al., NATS-Bench, TPAMI 2021",
    "nats-sss": "Dong et al., NATS-Bench: Benchmarking NAS Algorithms for Architecture Topology "
                "and Size, TPAMI 2021",
    "nb101": "Ying et al., NAS-Bench-101: Towards Reproducible Neural Architecture Search, "
             "ICML 2019",
}
_NDS = "Radosavovic et al., On Network Design Spaces for Visual Recognition, ICCV 2019"


def space_citation(space: str) -> str:
    """The benchmark paper behind ``space`` (its ground truth and its architectures)."""
    owner = ground_truth_space(space)
    return _NDS if is_nds_space(owner) else _SPACES[owner]


def citations(spaces: list[str], scores: list[str]) -> dict[str, str]:
    """Name -> citation for every space and score in a table that is handed on."""
    return {**{space: space_citation(space) for space in sorted(set(spaces))},
            **{score: citation for score in sorted(set(scores))
               if (citation := score_citation(score)) is not None}}
