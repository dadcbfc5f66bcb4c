"""Writes small image-dataset files in the official pickle formats, for tests.

* ImageNet16 (downsampled ImageNet, as NAS-Bench-201 ships it): ``train_data_batch_1..10`` and
  ``val_data``, latin1-readable pickles {data: N x 768 uint8 planar RGB, labels: 1-based ints,
  mean (train files only)}.
* CIFAR-100: ``cifar-100-python/train``, a pickle with bytes keys {data: N x 3072, fine_labels,
  coarse_labels, filenames, batch_label}, as the official python version.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

IMAGENET16_TRAIN_FILES = tuple(f"train_data_batch_{i}" for i in range(1, 11))


def random_hwc_images(rng: np.random.Generator, count: int, side: int) -> np.ndarray:
    return rng.integers(0, 256, size=(count, side, side, 3), dtype=np.uint8)


def planar_rows(images_hwc: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) -> (N, 3*H*W): the files' planar RGB rows."""
    return np.ascontiguousarray(images_hwc.transpose(0, 3, 1, 2)).reshape(len(images_hwc), -1)


def write_imagenet16(folder: Path, per_file: list[tuple[np.ndarray, list[int]]]) -> Path:
    """Ten train files from (HWC images, labels) pairs, plus a small ``val_data``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (images, labels) in zip(IMAGENET16_TRAIN_FILES, per_file, strict=True):
        rows = planar_rows(images)
        with open(folder / name, "wb") as handle:
            pickle.dump({"data": rows, "labels": list(labels),
                         "mean": rows.mean(axis=0)}, handle, protocol=2)
    val_images = per_file[0][0][:2]
    with open(folder / "val_data", "wb") as handle:
        pickle.dump({"data": planar_rows(val_images), "labels": [1, 2]}, handle, protocol=2)
    return folder


def imagenet16_files(folder: Path, rng: np.random.Generator, per_file: int,
                     labels_cycle: list[int]) -> tuple[Path, list[tuple[np.ndarray, list[int]]]]:
    """Ten files of ``per_file`` random images, labels taken cyclically from ``labels_cycle``."""
    contents = []
    for file_index in range(len(IMAGENET16_TRAIN_FILES)):
        labels = [labels_cycle[(file_index * per_file + i) % len(labels_cycle)]
                  for i in range(per_file)]
        contents.append((random_hwc_images(rng, per_file, 16), labels))
    return write_imagenet16(folder, contents), contents


def write_cifar100_train(root: Path, images_hwc: np.ndarray) -> Path:
    """``root/cifar-100-python/train`` holding ``images_hwc`` (32 x 32)."""
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True, exist_ok=True)
    count = len(images_hwc)
    with open(folder / "train", "wb") as handle:
        pickle.dump({b"data": planar_rows(images_hwc), b"fine_labels": [i % 100 for i in range(count)],
                     b"coarse_labels": [i % 20 for i in range(count)],
                     b"filenames": [f"img_{i}.png".encode() for i in range(count)],
                     b"batch_label": b"training batch 1 of 1"}, handle, protocol=2)
    return root
