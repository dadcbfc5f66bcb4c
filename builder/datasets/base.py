"""What an image dataset provides to the builder: a training pool and normalised images."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from naswot_db.builder.formats.pickles import load_pickle
from naswot_db.core.errors import NaswotDbError


class DatasetError(NaswotDbError):
    """Missing, wrong or corrupt dataset files."""


def load_dict_pickle(path: Path, encoding: str, what: str) -> dict[str, Any]:
    """A dataset pickle whose top level is a dict, keys as str (bytes keys are decoded)."""
    raw = load_pickle(path, f"{what} pickle", DatasetError, encoding=encoding)
    if not isinstance(raw, dict):
        raise DatasetError(f"{path} is not {what} pickle (top level is {type(raw).__name__})")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}


class ImageDataset(ABC):
    """A dataset's training split, read from the official files under a data root.

    ``pool_size`` counts the training images in file order; ``load_images`` returns the images at
    the given positions, transformed as the reference's ``augtype=none`` pipeline does
    (ToTensor then Normalize, plus Resize/CenterCrop for imagenette), as a float32 NCHW tensor.
    """

    name: ClassVar[str]
    mean: ClassVar[tuple[float, float, float]]
    std: ClassVar[tuple[float, float, float]]
    input_shape: ClassVar[tuple[int, int, int]]  # (channels, height, width) a network sees
    num_classes: ClassVar[int]  # the output units of a network with a class head

    @abstractmethod
    def pool_size(self, root: Path) -> int:
        """Number of training images found under ``root``."""

    @abstractmethod
    def load_images(self, root: Path, positions: np.ndarray) -> torch.Tensor:
        """Normalised images at ``positions`` of the training pool."""

    @abstractmethod
    def load_labels(self, root: Path, positions: np.ndarray) -> torch.Tensor:
        """0-based class indices (int64) of the images at ``positions``, as the reference's
        loaders give them to a score that needs labels."""

    def resolve_root(self, root: Path | None) -> Path:
        """The data root to read; datasets that can download override this."""
        if root is None:
            raise DatasetError(f"{self.name} needs --data-root pointing at its files")
        return root

    def normalise(self, pixels_hwc: np.ndarray) -> torch.Tensor:
        """uint8 (N, H, W, 3) -> float32 (N, 3, H, W), as ToTensor + Normalize."""
        tensor = torch.from_numpy(np.ascontiguousarray(pixels_hwc)).permute(0, 3, 1, 2)
        tensor = tensor.to(torch.float32).div(255.0)
        mean = torch.tensor(self.mean, dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=torch.float32).view(1, 3, 1, 1)
        return tensor.sub(mean).div(std).contiguous()
