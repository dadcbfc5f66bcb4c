"""The interface every search space fills: list its archs, build a model, read ground truth."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
from torch import nn

from naswot_db.core.citations import space_citation
from naswot_db.builder.formats.ground_truth import GroundTruth, SpaceError
from naswot_db.core.names import ground_truth_space, score_datasets
from naswot_db.schema import default_root

# what a space module needs besides the base class comes from here too
__all__ = ["GroundTruth", "Space", "SpaceError", "listed_arch_table"]


def listed_arch_table(space: str, arch_strs: Sequence[str], source: str) -> pa.Table:
    """archs rows for a space whose arch list is generated, not ingested (ids = positions)."""
    count = len(arch_strs)
    return pa.table({
        "space": [space] * count,
        "arch_id": pa.array(range(count), pa.int64()),
        "arch_str": list(arch_strs),
        "encoding": pa.nulls(count, pa.string()),
        "params": pa.nulls(count, pa.float64()),
        "flops": pa.nulls(count, pa.float64()),
        "source": [source] * count,
    })


class Space(ABC):
    """A benchmark search space.

    Subclasses set ``name`` and implement the abstract methods; citations and scoring datasets
    come from :mod:`naswot_db.core.citations` and :mod:`naswot_db.core.names` by that name.  A space is
    created with the database root, from which ingested spaces read their arch list.  ``build_model``
    must create parameters in the reference code's order: the caller seeds torch right before
    calling it, so the order decides the weights.  Models return ``(logits, features)`` as the
    reference's networks do, with one output unit.
    """

    name: ClassVar[str]

    def __init__(self, root: Path | None = None) -> None:
        # database root: spaces whose arch list comes from an ingest (NB101, NDS) read it here
        self.root = root if root is not None else default_root()

    @abstractmethod
    def arch_table(self) -> pa.Table:
        """The archs rows of this space (from the space itself or from ``self.root``'s ingest)."""

    @abstractmethod
    def build_model(self, arch: Any, num_classes: int | None = None) -> nn.Module:
        """The network for ``arch`` (an arch id or the benchmark's own encoding).

        ``num_classes``: output units; None is the space's own (NASWOT's single unit).  Scores
        with a loss on labels (``class_head``) need one per class of the dataset.
        """

    @abstractmethod
    def ingest(self, source: Path) -> GroundTruth:
        """Read the benchmark's own ground-truth file(s) at ``source``."""

    @property
    def citation(self) -> str:
        """The benchmark paper to cite (one list for every command: naswot_db.core.citations)."""
        return space_citation(self.name)

    @property
    def score_datasets(self) -> tuple[str, ...]:
        """Datasets a network of this space can be scored on (names as builder.datasets knows)."""
        return score_datasets(self.name)

    @property
    def truth_space(self) -> str:
        """The space whose archs and accuracies this one uses (itself but for nb101-original)."""
        return ground_truth_space(self.name)

    def complexity(self, arch: Any, input_shape: tuple[int, int, int] = (3, 32, 32),
                   num_classes: int | None = None) -> tuple[int, int]:
        """(parameters, FLOPs) of the network for ``arch`` on one input of ``input_shape``,
        counted as NAS-Bench-Suite-Zero counts them (:mod:`.complexity`; Suite-Zero stores
        both divided by 1e6).  A space with an analytic count may override this."""
        from .complexity import count_complexity  # torch work only when asked for

        return count_complexity(self.build_model(arch, num_classes=num_classes), input_shape)

    def reference_raises(self, arch: Any) -> bool:
        """True when the reference procedure raises on this arch (NaN/0 in the paper)."""
        return False

    def model_config(self) -> dict[str, Any]:
        """Settings that change the networks (recorded in runs and in the config id)."""
        return {}

    def detached(self) -> "Space":
        """This space with all it reads from the root loaded, so that a pickled copy builds
        networks where the root is not (a Ray actor on another machine)."""
        return self
