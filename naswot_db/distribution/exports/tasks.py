"""Which ground-truth columns judge the scores of one task (a space scored on one dataset).

A task is named by its scoring dataset, as Syne Tune's and NASLib's NB201 files name theirs;
its validation and test columns are the benchmark's (dataset, split) pairs for networks trained
on that dataset.  NB201's validation column on CIFAR-10 is ``cifar10-valid``/``x-valid`` (the
train/valid split run), as NASLib's ``val_accuracy`` is.  NDS reports test accuracy only.
"""

from __future__ import annotations

from naswot_db.core.names import ground_truth_space, is_nds_space

Column = tuple[str, str]  # (dataset, split) of the accuracies table

_NB201: dict[str, tuple[Column | None, Column | None]] = {
    "cifar10": (("cifar10-valid", "x-valid"), ("cifar10", "ori-test")),
    "cifar100": (("cifar100", "x-valid"), ("cifar100", "x-test")),
    "ImageNet16-120": (("ImageNet16-120", "x-valid"), ("ImageNet16-120", "x-test")),
}
_TASKS: dict[str, dict[str, tuple[Column | None, Column | None]]] = {
    "nb201": _NB201,
    "nats-sss": _NB201,
    "nb101": {"cifar10": (("cifar10", "valid"), ("cifar10", "test"))},
}
_NDS = {"cifar10": (None, ("cifar10", "test")), "imagenette2": (None, ("imagenet", "test"))}


def task_targets(space: str, dataset: str) -> tuple[Column | None, Column | None] | None:
    """(validation, test) columns for ``space`` scored on ``dataset``; None if unknown."""
    owner = ground_truth_space(space)
    return (_NDS if is_nds_space(owner) else _TASKS.get(owner, {})).get(dataset)
