"""ImageNet16-120: the 16x16 downsampled ImageNet pickles, first 120 classes.

The official folder (``ImageNet16/`` as NAS-Bench-201 ships it) holds ``train_data_batch_1`` ..
``train_data_batch_10`` and ``val_data``: pickles (latin1) with ``data`` (N x 768 uint8,
planar RGB) and ``labels`` (1-based, 1..1000).  As the reference loader does, the training pool
is every training image with 1 <= label <= 120, files in order, images in file order.  Only the
training files are read: scoring batches come from the training split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .base import DatasetError, ImageDataset, load_dict_pickle

CLASSES = 120
SIDE = 16
TRAIN_FILES = tuple(f"train_data_batch_{i}" for i in range(1, 11))
FOLDER = "ImageNet16"


def read_labelled_images(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (N, 16, 16, 3) images and their 1-based labels from one official pickle."""
    entry = load_dict_pickle(path, "latin1", "an ImageNet16")
    data, labels = entry.get("data"), entry.get("labels")
    if (not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2
            or data.shape[1] != 3 * SIDE * SIDE):
        raise DatasetError(f"{path}: 'data' is not an N x {3 * SIDE * SIDE} uint8 array")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"{path}: 'labels' is not a list of integers ({exc})") from exc
    if labels.shape != (len(data),):
        raise DatasetError(f"{path}: 'labels' must hold one label per image ({len(data)})")
    return data.reshape(-1, 3, SIDE, SIDE).transpose(0, 2, 3, 1), labels


class ImageNet16_120(ImageDataset):
    """The 151,700 training images of the first 120 classes (labels 1..120 kept as stored)."""

    input_shape = (3, SIDE, SIDE)
    name = "ImageNet16-120"
    num_classes = 120
    mean = (122.68 / 255, 116.66 / 255, 104.01 / 255)
    std = (63.22 / 255, 61.26 / 255, 65.09 / 255)

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[np.ndarray, np.ndarray]] = {}

    def _folder(self, root: Path) -> Path:
        for candidate in (root / FOLDER, root):
            if (candidate / TRAIN_FILES[0]).is_file():
                return candidate
        raise DatasetError(f"no ImageNet16 training files under {root}: expected "
                           f"{root / FOLDER}/{TRAIN_FILES[0]} .. {TRAIN_FILES[-1]}")

    def training_pool(self, root: Path) -> tuple[np.ndarray, np.ndarray]:
        """Images (N, 16, 16, 3) uint8 and labels 1..120 of the pool, in file order.

        All ten files are required: the pool, and so every batch, depends on each of them.
        """
        folder = self._folder(root)
        if folder not in self._cache:
            images, labels = [], []
            for name in TRAIN_FILES:
                path = folder / name
                if not path.is_file():
                    raise DatasetError(f"missing ImageNet16 training file {path}; the pool "
                                       f"needs all of {TRAIN_FILES[0]} .. {TRAIN_FILES[-1]}")
                file_images, file_labels = read_labelled_images(path)
                keep = (file_labels >= 1) & (file_labels <= CLASSES)
                images.append(file_images[keep])
                labels.append(file_labels[keep])
            pool = (np.concatenate(images), np.concatenate(labels))
            if not len(pool[1]):
                raise DatasetError(f"no training image under {folder} has a label in 1..{CLASSES}")
            self._cache[folder] = pool
        return self._cache[folder]

    def pool_size(self, root: Path) -> int:
        return len(self.training_pool(root)[0])

    def load_images(self, root: Path, positions: np.ndarray) -> torch.Tensor:
        return self.normalise(self.training_pool(root)[0][positions])

    def load_labels(self, root: Path, positions: np.ndarray) -> torch.Tensor:
        """Stored labels are 1-based; the reference's loader subtracts one."""
        return torch.from_numpy(self.training_pool(root)[1][positions] - 1)
