"""The scoring batch: a fixed, documented function of (dataset, batch_seed, batch_size).

Definition.  The pool is the dataset's training images in file order (positions 0..n-1), or,
with ``split="nb201-train"``, the ``train`` half of NAS-Bench-201's ``cifar-split.txt`` (the
reference's ``--trainval``).  Every pool position p gets the key
``sha256(f"naswot-db:{batch_seed}:{p}")``; the batch is the ``batch_size`` positions with the
smallest keys, in key order.  No RNG library is involved, so the batch is identical on every
machine and version, and the batch of size 64 is the first half of the batch of size 128.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from naswot_db.core.names import SPLITS

from .base import DatasetError, ImageDataset


@dataclass(frozen=True)
class Batch:
    """One scoring batch and what identifies it."""

    images: torch.Tensor
    fingerprint: str
    labels: torch.Tensor | None = None  # only when a score needs labels


@functools.cache
def nb201_train_positions() -> np.ndarray:
    """The 25,000 ``train`` indices of NAS-Bench-201's CIFAR split (shipped with the package)."""
    text = resources.files(__package__).joinpath("cifar-split.txt").read_text()
    kind, values = json.loads(text)["train"]
    return np.array([int(v) for v in values], dtype=np.int64)


def pool_positions(dataset: ImageDataset, root: Path, split: str) -> np.ndarray:
    """Training-pool positions a batch may draw from."""
    size = dataset.pool_size(root)
    if split == "all":
        return np.arange(size, dtype=np.int64)
    if split == "nb201-train":
        if dataset.name not in ("cifar10", "cifar100"):
            raise DatasetError(f"split nb201-train indexes the CIFAR training set; "
                               f"{dataset.name} takes --split all")
        positions = nb201_train_positions()
        if positions.max() >= size:
            raise DatasetError(
                f"split nb201-train indexes {positions.max() + 1} training images but {root} "
                f"holds {size}; use --split all for a subset such as the CIFAR-10 JPEG sample")
        return positions
    raise DatasetError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")


def batch_positions(pool: np.ndarray, batch_seed: int, batch_size: int) -> np.ndarray:
    """The ``batch_size`` pool positions with the smallest seeded sha256 keys, in key order."""
    if not 0 < batch_size <= len(pool):
        raise DatasetError(f"batch size {batch_size} must be in 1..{len(pool)} (the pool size)")
    keys = [hashlib.sha256(f"naswot-db:{batch_seed}:{p}".encode()).digest() for p in pool]
    order = sorted(range(len(pool)), key=keys.__getitem__)[:batch_size]
    return pool[np.array(order, dtype=np.int64)]


def tensor_fingerprint(images: torch.Tensor) -> str:
    """sha256 of the exact float32 bytes of a batch."""
    return hashlib.sha256(images.detach().cpu().contiguous().numpy().tobytes()).hexdigest()


def constant_batch(dataset: ImageDataset, batch_size: int) -> Batch:
    """All-ones images of the dataset's input shape, for a score that needs no data."""
    images = torch.ones(batch_size, *dataset.input_shape)
    return Batch(images=images, fingerprint=tensor_fingerprint(images))


def load_batch(dataset: ImageDataset, root: Path, batch_seed: int, batch_size: int,
               split: str = "all", with_labels: bool = False) -> Batch:
    """The batch for ``batch_seed`` as a normalised float32 tensor on the CPU (and its labels)."""
    positions = batch_positions(pool_positions(dataset, root, split), batch_seed, batch_size)
    images = dataset.load_images(root, positions)
    labels = dataset.load_labels(root, positions) if with_labels else None
    return Batch(images=images, fingerprint=tensor_fingerprint(images), labels=labels)
