"""What a benchmark-file reader produces and raises, below the spaces that use the readers."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from naswot_db.core.errors import NaswotDbError


class SpaceError(NaswotDbError):
    """Bad input about a space: unknown arch, missing ground truth, unreadable file."""


@dataclass(frozen=True)
class GroundTruth:
    """What ``ingest`` produces: rows for the archs and accuracies tables of one space."""

    archs: pa.Table
    accuracies: pa.Table
