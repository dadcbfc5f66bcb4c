"""Imagenette2 (fast.ai's 10-class ImageNet subset), ImageFolder layout: the NDS ``_in`` spaces.

The pool is ``train/`` in torchvision ImageFolder order: class folders sorted, then the image
files of each class in sorted walk order (extensions as ImageFolder accepts them, any case).
Each image goes through the reference's ``augtype=none`` pipeline, done here with Pillow:
convert to RGB, Resize(256) (bilinear, shorter side to 256, longer side truncated as
torchvision computes it), CenterCrop(224) (offsets rounded as torchvision rounds them),
ToTensor and Normalize with the ImageNet mean and std.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .base import DatasetError, ImageDataset

# torchvision's IMG_EXTENSIONS, matched case-insensitively as ImageFolder does
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
RESIZE = 256
CROP = 224


def _shorter_side_to(image: Image.Image, size: int) -> Image.Image:
    """torchvision ``Resize(size)`` on a PIL image: bilinear, aspect kept, long side truncated."""
    width, height = image.size
    if width <= height:
        new_size = (size, int(size * height / width))
    else:
        new_size = (int(size * width / height), size)
    return image.resize(new_size, Image.Resampling.BILINEAR)


def _center_crop(image: Image.Image, size: int) -> Image.Image:
    """torchvision ``CenterCrop(size)``: offsets ``int(round((side - size) / 2))``."""
    width, height = image.size
    top = int(round((height - size) / 2.0))
    left = int(round((width - size) / 2.0))
    return image.crop((left, top, left + size, top + size))


def reference_pixels(path: Path) -> np.ndarray:
    """uint8 (224, 224, 3) pixels of one image after RGB, Resize(256), CenterCrop(224)."""
    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot decode image {path}: {exc}") from exc
    return np.asarray(_center_crop(_shorter_side_to(rgb, RESIZE), CROP), dtype=np.uint8)


class Imagenette2(ImageDataset):
    input_shape = (3, CROP, CROP)
    name = "imagenette2"
    num_classes = 10
    mean = (0.485, 0.456, 0.406)
    std = (0.229, 0.224, 0.225)

    def __init__(self) -> None:
        self._files: dict[Path, list[Path]] = {}

    @staticmethod
    def _train_dir(root: Path) -> Path:
        for candidate in (root / "train", root / "imagenette2" / "train"):
            if candidate.is_dir():
                return candidate
        raise DatasetError(f"no imagenette2 training folder under {root}: expected "
                           f"{root / 'train'} or {root / 'imagenette2' / 'train'} "
                           "(one sub-folder per class, as in imagenette2.tgz)")

    def _pool(self, root: Path) -> list[Path]:
        """Training image paths in ImageFolder order."""
        train = self._train_dir(root)
        if train not in self._files:
            classes = sorted(entry.name for entry in os.scandir(train) if entry.is_dir())
            files = []
            for label in classes:
                for folder, _, names in sorted(os.walk(train / label, followlinks=True)):
                    files.extend(Path(folder) / name for name in sorted(names)
                                 if name.lower().endswith(IMAGE_EXTENSIONS))
            if not files:
                raise DatasetError(f"{train} holds no images in class sub-folders")
            self._files[train] = files
        return self._files[train]

    def pool_size(self, root: Path) -> int:
        return len(self._pool(root))

    def load_labels(self, root: Path, positions: np.ndarray) -> torch.Tensor:
        """ImageFolder's label: the index of the image's class folder in sorted order."""
        files = self._pool(root)
        classes = sorted({path.relative_to(self._train_dir(root)).parts[0] for path in files})
        index = {name: i for i, name in enumerate(classes)}
        return torch.tensor([index[files[int(p)].relative_to(self._train_dir(root)).parts[0]]
                             for p in positions], dtype=torch.int64)

    def load_images(self, root: Path, positions: np.ndarray) -> torch.Tensor:
        files = self._pool(root)
        pixels = np.stack([reference_pixels(files[int(p)]) for p in positions])
        return self.normalise(pixels)
