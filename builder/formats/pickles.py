"""Reading the benchmarks' and datasets' pickles (CIFAR, ImageNet16, NATS-Bench, NB201 .pth).

Every pickle any format reader loads goes through :func:`load_pickle` (or :func:`load_pth`), so
how a pickle is unpickled is decided in this one place.
"""

from __future__ import annotations

import bz2
import pickle
from pathlib import Path
from typing import Any

from naswot_db.errors import NaswotDbError


def load_pickle(path: Path, what: str, error: type[NaswotDbError], encoding: str = "ASCII",
                compressed: bool = False) -> Any:
    """The object pickled in ``path`` (bz2-compressed when ``compressed``).

    Any failure is ``error`` naming the file and ``what`` it should have been.
    """
    opener = bz2.open if compressed else open
    try:
        with opener(path, "rb") as handle:
            return pickle.load(handle, encoding=encoding)
    except Exception as exc:  # unpickling garbage raises many types (MemoryError, KeyError, ...)
        raise error(f"cannot read {path}: corrupt or not {what} ({exc})") from exc


def load_pth(path: Path, what: str, error: type[NaswotDbError]) -> Any:
    """The object saved with ``torch.save`` in ``path``, on the CPU."""
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for bad files
        raise error(f"cannot read {path}: corrupt or not {what} ({exc})") from exc
