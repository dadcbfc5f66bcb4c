"""Which ground-truth columns judge the scores of one task (a space scored on one dataset).

A task is named by its scoring dataset, as Syne Tune's and NASLib's NB201 files name theirs;
its validation and test columns are the benchmark's (dataset, split) pairs for networks trained
on that dataset, as the space's descriptor lists them (:mod:`naswot_db.core.spaces`).
"""

from __future__ import annotations

from naswot_db.core.spaces import Column, ground_truth_space, space_info


def task_targets(space: str, dataset: str) -> tuple[Column | None, Column | None] | None:
    """(validation, test) columns for ``space`` scored on ``dataset``; None if unknown."""
    tasks = space_info(ground_truth_space(space)).tasks
    return next(((validation, test) for task, validation, test in tasks if task == dataset),
                None)
