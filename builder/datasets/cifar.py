"""CIFAR-10 and CIFAR-100 from the official python-pickle folders (downloaded when absent)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from .base import DatasetError, ImageDataset, load_dict_pickle
from .download import fetch_archive


class _Cifar(ImageDataset):
    input_shape = (3, 32, 32)
    folder: ClassVar[str]
    train_files: ClassVar[tuple[str, ...]]
    url: ClassVar[str]
    md5: ClassVar[str]

    label_key: ClassVar[str]

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[np.ndarray, np.ndarray]] = {}

    def resolve_root(self, root: Path | None) -> Path:
        if root is None:
            return fetch_archive(self.url, self.md5, self.folder)
        return root

    def _folder(self, root: Path) -> Path:
        for candidate in (root / self.folder, root):
            if (candidate / self.train_files[0]).is_file():
                return candidate
        raise DatasetError(
            f"no {self.name} training files under {root}: expected {root / self.folder}/"
            f"{self.train_files[0]} (the official python version)")

    def _pool(self, root: Path) -> tuple[np.ndarray, np.ndarray]:
        """All training images as uint8 (N, 32, 32, 3) and their labels, files in order."""
        folder = self._folder(root)
        if folder not in self._cache:
            chunks, labels = [], []
            for name in self.train_files:
                path = folder / name
                if not path.is_file():
                    break  # a subset keeps the first files (e.g. data_batch_1 only)
                record = load_dict_pickle(path, "bytes", "a CIFAR")
                data = record.get("data")
                if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3072:
                    raise DatasetError(f"{path}: 'data' is not an N x 3072 uint8 array")
                file_labels = np.asarray(record.get(self.label_key, []), dtype=np.int64)
                if file_labels.shape != (len(data),):
                    raise DatasetError(f"{path}: {self.label_key!r} must hold one label per "
                                       f"image ({len(data)})")
                chunks.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
                labels.append(file_labels)
            self._cache[folder] = (np.concatenate(chunks), np.concatenate(labels))
        return self._cache[folder]

    def pool_size(self, root: Path) -> int:
        return len(self._pool(root)[0])

    def load_images(self, root: Path, positions: np.ndarray) -> torch.Tensor:
        return self.normalise(self._pool(root)[0][positions])

    def load_labels(self, root: Path, positions: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(self._pool(root)[1][positions])


class Cifar10(_Cifar):
    name = "cifar10"
    num_classes = 10
    mean = (125.3 / 255, 123.0 / 255, 113.9 / 255)
    std = (63.0 / 255, 62.1 / 255, 66.7 / 255)
    folder = "cifar-10-batches-py"
    label_key = "labels"
    train_files = tuple(f"data_batch_{i}" for i in range(1, 6))
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    md5 = "c58f30108f718f92721af3b95e74349a"


class Cifar100(_Cifar):
    name = "cifar100"
    num_classes = 100
    mean = (129.3 / 255, 124.1 / 255, 112.4 / 255)
    std = (68.2 / 255, 65.4 / 255, 70.4 / 255)
    folder = "cifar-100-python"
    label_key = "fine_labels"
    train_files = ("train",)
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    md5 = "eb9058c3a382ffc7106e4002c42a8d85"
