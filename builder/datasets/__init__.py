"""Image datasets for scoring batches, by name: ``get_dataset("cifar10")``."""

from __future__ import annotations

import importlib

from .base import DatasetError, ImageDataset
from .batches import SPLITS, Batch, load_batch

# dataset name -> "module:class" inside this package
_REGISTRY: dict[str, str] = {
    "cifar10": "cifar:Cifar10",
    "cifar100": "cifar:Cifar100",
    "ImageNet16-120": "imagenet16:ImageNet16_120",
    "imagenette2": "imagenette:Imagenette2",
}


def dataset_names() -> list[str]:
    return sorted(_REGISTRY)


def get_dataset(name: str) -> ImageDataset:
    """The dataset called ``name`` (case-insensitive); unknown names list the known ones."""
    matches = [key for key in _REGISTRY if key.lower() == name.lower()]
    if not matches:
        raise DatasetError(f"unknown dataset {name!r}; known datasets: {', '.join(dataset_names())}")
    module_name, class_name = _REGISTRY[matches[0]].split(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, class_name)()


__all__ = ["SPLITS", "Batch", "DatasetError", "ImageDataset", "dataset_names", "get_dataset",
           "load_batch"]
